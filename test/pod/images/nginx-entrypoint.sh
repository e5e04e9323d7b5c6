#!/bin/sh
# Sets the default site's listen port from NGINX_PORT (default 80), then runs the command.
set -eu
port="${NGINX_PORT:-80}"
case "$port" in *[!0-9]*|'') echo "NGINX_PORT must be a number, got '$port'" >&2; exit 64 ;; esac
sed -i -E "s/listen (\[::\]:)?[0-9]+ default_server;/listen \1${port} default_server;/" /etc/nginx/sites-enabled/default
exec "$@"
