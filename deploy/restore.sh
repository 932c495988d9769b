#!/bin/sh
# restore.sh PB_DATA_DIR: bring Homeward's database back from the Litestream
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

[ -e "$pb_data/data.db" ] && exit 0
mkdir -p "$pb_data"
restoring="$pb_data/data.db.restoring"
rm -f "$restoring"

# The two key files are not in the database. Started without them, Homeward
# would make new keys: no reporter's receipt code would match again, and
# every printed poster would read as fake. So a replica is restored only
# into a data dir that has its keys; until then each start stops here,
# before downloading anything.
missing_keys() {
	missing=
	for f in homeward_receipt.key qr_signing_keys.json; do
		[ -e "$pb_data/$f" ] || missing="$missing $f"
	done
	[ -n "$missing" ]
}
refuse() {
	rm -f "$restoring"
	echo "restore.sh: a replica exists, but the key files are missing from $pb_data:$missing" >&2
	echo "Unpack the saved keys archive there, then start again (docs/DEPLOY.md, \"Keys\"):" >&2
	echo "  tar -C $pb_data -xzf homeward-keys.tgz" >&2
	exit 1
}
if missing_keys && "$litestream" restore -dry-run -o "$restoring" "$LITESTREAM_REPLICA_URL" >/dev/null 2>&1; then
	refuse
fi

"$litestream" restore -if-replica-exists -integrity-check quick -o "$restoring" "$LITESTREAM_REPLICA_URL"
[ -e "$restoring" ] || exit 0 # no replica yet: a first start
if missing_keys; then
	refuse
fi
mv "$restoring" "$pb_data/data.db"
