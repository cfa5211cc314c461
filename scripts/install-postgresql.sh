#!/bin/sh
# Installs Debian's PostgreSQL server when it is missing, for the gradebook tests: they
# start a throw-away cluster of their own (initdb / pg_ctl in a temporary folder, on a
# unix socket), so no server is configured or started here, and none is left running.
#   postgresql  the server binaries (initdb, pg_ctl, postgres) under /usr/lib/postgresql/N/bin
# Debian's package would create and start a "main" cluster on port 5432; a drop-in in
# /etc/postgresql-common/createcluster.d/ tells it not to, before it is installed.
# Needs root and apt-get; otherwise it says what to install and carries on (the PostgreSQL
# tests are then skipped, saying why).
set -u
for bin in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$bin" ] && exit 0
done
command -v initdb >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: postgresql"
    mkdir -p /etc/postgresql-common/createcluster.d
    printf '# nngrade: the tests start their own clusters\ncreate_main_cluster = false\n' \
        > /etc/postgresql-common/createcluster.d/nngrade-no-main-cluster.conf
    apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || \
        echo "warning: could not install postgresql; the PostgreSQL gradebook tests will be skipped" >&2
else
    echo "note: please install postgresql (e.g. 'sudo apt-get install postgresql') to run the PostgreSQL gradebook tests; continuing without it" >&2
fi
exit 0
