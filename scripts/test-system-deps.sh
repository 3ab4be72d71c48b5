#!/usr/bin/env bash
# The system programs the tests drive for real: Chromium (the playground's page, through
# Playwright), a PostgreSQL server (distributed `chainrule tune`) and Graphviz's dot (viz.render).
# pip cannot install them.
# On Debian or Ubuntu as root this installs whichever is missing; elsewhere it says what to install.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 \
    || missing+=(postgresql)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)

if [ ${#missing[@]} -eq 0 ]; then
    echo "test system packages: chromium, postgresql and graphviz are present"
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test system packages: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "test system packages: please install ${missing[*]} (the browser and database tests" \
         "need them; on Debian: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
