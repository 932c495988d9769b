#!/bin/sh
# restore.sh PB_DATA_DIR: bring Homeward's database back from the Litestream
# replica when the data dir has none, before Homeward starts. Runs at every
# start of litestream.service (a no-op when Litestream already replicates
# data.db, or no replica exists yet) and by hand into a fresh dir for a
# restore drill. It refuses a data.db it did not restore while the replica
# holds another.
#
# Needs LITESTREAM_REPLICA_URL (and the S3 keys, for S3) in the environment,
# as /etc/homeward/litestream.env sets them.
set -eu

pb_data=${1:?usage: restore.sh PB_DATA_DIR}
: "${LITESTREAM_REPLICA_URL:?set LITESTREAM_REPLICA_URL, e.g. from /etc/homeward/litestream.env}"
litestream=${LITESTREAM_BIN:-litestream}

restoring="$pb_data/data.db.restoring"

# Litestream keeps its state beside a database it has replicated
# (.data.db-litestream). A data.db without it was made here: on a new
# deployment, by the set-up commands before the first start; on a lost
# server, by the same commands run by mistake. Replicated, that one would
# become the replica's newest state in place of the real database, which
# then stays restorable by time for about a day only. So it is replicated
# only while the replica holds no database.
if [ -e "$pb_data/data.db" ]; then
	[ -d "$pb_data/.data.db-litestream" ] && exit 0
	rm -f "$restoring"
	if "$litestream" restore -dry-run -o "$restoring" "$LITESTREAM_REPLICA_URL" >/dev/null 2>&1; then
		rm -f "$restoring"
		echo "restore.sh: $pb_data/data.db was not restored from the replica, and the replica holds a database:" >&2
		echo "replicating this one would put it in that database's place. To restore the replica (a lost server)," >&2
		echo "move this one away and start again (docs/DEPLOY.md, \"Restore\"):" >&2
		echo "  mv $pb_data/data.db $pb_data/data.db.unused" >&2
		echo "For a new deployment, set LITESTREAM_REPLICA_URL to a path that holds nothing." >&2
		exit 1
	fi
	exit 0
fi
mkdir -p "$pb_data"
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
# A WAL left without its database belongs to another one (a data.db moved
# away, as the refusal above says): SQLite would read it into the restored
# database and break it.
rm -f "$pb_data/data.db-wal" "$pb_data/data.db-shm"
mv "$restoring" "$pb_data/data.db"
# Marks it as the replica's own until Litestream's first start makes this.
mkdir -p "$pb_data/.data.db-litestream"
