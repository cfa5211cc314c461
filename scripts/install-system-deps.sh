#!/bin/sh
# Installs the Debian packages nngrade uses when they are missing:
#   bubblewrap  confines student code (namespaces); without it grading still
#               runs with rlimits and seccomp, and reports say what is missing
#   chromium    the browser the report tests render pages in
#   fonts-wqy-microhei  a CJK font, so Chinese reports render as text in chromium
#   postgresql  the gradebook tests' throw-away database server (scripts/install-postgresql.sh)
# Needs root and apt-get; otherwise it says what to install and carries on.
# Slurm and munge, for the tests' one-node cluster, come from install-slurm.sh.
set -u
sh "$(dirname "$0")/install-postgresql.sh"
sh "$(dirname "$0")/install-slurm.sh"
need=""
command -v bwrap >/dev/null 2>&1 || need="$need bubblewrap"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$need fonts-wqy-microhei"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages:$need"
    apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null || \
        echo "warning: could not install$need; continuing without it" >&2
else
    echo "note: please install$need (e.g. 'sudo apt-get install$need'); continuing without it" >&2
fi
exit 0
