#!/bin/sh
# restore.sh PB_DATA_DIR: bring back Homeward's database from the Litestream
# replica when the data dir has none, before Homeward starts. Runs at every
# start of litestream.service (a no-op when data.db exists or no replica
# exists yet) and by hand into a fresh dir for a restore drill.
#
# Needs LITESTREAM_REPLICA_URL (and the S3 keys, for S3) in the environment,
# as /etc/homeward/litestream.env sets them.
set -eu

pb_data=${1:?usage: restore.sh PB_DATA_DIR}
: "${LITESTREAM_REPLICA_URL:?set LITESTREAM_REPLICA_URL, e.g. from /etc/homeward/litestream.env}"
litestream=${LITESTREAM_BIN:-litestream}

mkdir -p "$pb_data"
had_db=no
[ -e "$pb_data/data.db" ] && had_db=yes

"$litestream" restore -if-db-not-exists -if-replica-exists -integrity-check quick \
	-o "$pb_data/data.db" "$LITESTREAM_REPLICA_URL"

# A database brought back without its QR signing keys would make Homeward
# create a new key on first use, and every printed poster would then read
# as fake. Stop here until the saved key file is back (or a new key is
# made on purpose with `homeward qr rotate-key`).
if [ "$had_db" = no ] && [ -e "$pb_data/data.db" ] && [ ! -e "$pb_data/qr_signing_keys.json" ]; then
	echo "restore.sh: data.db was restored but $pb_data/qr_signing_keys.json is missing." >&2
	echo "Copy your saved key file there (mode 0600, owner homeward), or run" >&2
	echo "  homeward qr rotate-key --dir $pb_data" >&2
	echo "to start a new key and reprint the posters, then start again." >&2
	exit 1
fi
