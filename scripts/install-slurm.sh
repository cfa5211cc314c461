#!/bin/sh
# Installs Debian's Slurm (slurm-wlm: slurmctld, slurmd and the client commands)
# and munge (Slurm's authentication daemon) when they are missing, so that the
# tests in tests/cluster/ can start a real one-node cluster of their own in a
# temporary folder (see tests/cluster/slurm_cluster.py). Nothing is configured
# or started here: the tests write their own slurm.conf and munge key and run
# the daemons as long as the test session lasts.
#
# The packages' maintainer scripts would start system-wide munge and slurm
# services; the tests do not want them, so while installing, a policy-rc.d that
# forbids starting services is put in place (only if none exists) and removed
# afterwards.
#
# Needs root and apt-get; otherwise it says what to install and carries on
# (the cluster tests are then skipped with that reason).
set -u
need=""
for cmd in slurmctld slurmd sbatch; do
    command -v $cmd >/dev/null 2>&1 || { need=" slurm-wlm"; break; }
done
command -v munged >/dev/null 2>&1 || need="$need munge"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: the Slurm tests need$need (e.g. 'sudo apt-get install$need'); continuing without it" >&2
    exit 0
fi
echo "installing system packages:$need"
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by nngrade scripts/install-slurm.sh while installing\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
fi
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null \
    || echo "warning: could not install$need; the Slurm tests will be skipped" >&2
[ -n "$own_policy" ] && rm -f "$policy"
exit 0
