#!/bin/sh
# bench/backup.sh: backups of one store into the same folder, against
# rsync -a doing the same copies.  The store: 10,000 cases and 512 MiB of
# records in 256 segments of 2 MiB.  The first backup copies everything;
# then a writer files 32 more segments while the second runs, and a third
# copies what the second did not see; the fourth has nothing new.  The
# backup is restored (rso-case verify over it) after each, so a figure is
# only printed for a backup that restores.  rsync's copy of a live
# database is not a consistent one: it is here for the bytes it moves.
# Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
mib=${BENCH_BACKUP_MIB:-512}
cases=${BENCH_BACKUP_CASES:-10000}
more=32			# segments filed during the second backup

export RSO_HOME="$t/backup-home" RSO_NOW=2026-10-01T12:00:00Z
rso-case keygen -q -o "$t/backup-key"
export RSO_IDENTITY="$t/backup-key"
pub=$(sed -n 's/^# public key: //p' "$t/backup-key")
rso-case init -q -r "$pub"
awk -v n="$cases" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "{\"ref\":\"bk-%d\",\"patient\":{\"name\":\"Test Person %d\",\"birth_date\":\"1970-01-01\"},\"specialty\":\"radiology\",\"questions\":[\"Q?\"]}\n", i, i
}' | rso-intake >/dev/null
rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-01-01 >/dev/null

# file_segments N: N segments of four 512 KiB instances each.
file_segments() {
	mkdir -p "$t/backup-in"
	i=0
	while test "$i" -lt "$1"; do
		for j in 1 2 3 4; do
			head -c 524288 /dev/urandom >"$t/backup-in/i$j.dcm"
		done
		rso-collect add --type imaging RSO-2026-000001 \
		    "$t"/backup-in/i*.dcm >/dev/null
		i=$((i + 1))
	done
	rm -rf "$t/backup-in"
}

# backup: "SECONDS PEAK_KIB COPIED", after checking that the copy restores.
backup() {
	/usr/bin/time -f '%e %M' -o "$t/bt" rso-case backup "$t/bk" 2>"$t/bn"
	RSO_HOME="$t/bk" rso-case verify >/dev/null
	read -r s k <"$t/bt"
	echo "$s $k $(sed -n 's/.*segments: \([0-9]*\) copied.*/\1/p' "$t/bn")"
}

# rsync: the same copy to $t/ref, "SECONDS".
rsync_copy() {
	/usr/bin/time -f '%e' -o "$t/rt" rsync -a --delete "$RSO_HOME/" "$t/ref/"
	cat "$t/rt"
}

file_segments $((mib / 2))
segs=$(find "$RSO_HOME/archives" -name '*.age' | wc -l)
read -r s1 k1 c1 <<EOF
$(backup)
EOF
r1=$(rsync_copy)

file_segments "$more" &
writer=$!
read -r s2 k2 c2 <<EOF
$(backup)
EOF
wait "$writer"
read -r s3 k3 c3 <<EOF
$(backup)
EOF
r2=$(rsync_copy)
read -r s4 k4 c4 <<EOF
$(backup)
EOF
r3=$(rsync_copy)
: "$k2" "$k3"

printf 'backup 1: %d segments, %d MiB, all copied (%d)\t%s\trsync -a, first copy\t%s\t%s\n' \
    "$segs" "$mib" "$c1" "$s1" "$r1" "$k1"
printf 'backups 2+3: %d filed during 2; copied %d, %d\t%s\trsync -a, the change\t%s\t%s\n' \
    "$more" "$c2" "$c3" "$(echo "$s2 $s3" | awk '{ print $1 + $2 }')" "$r2" "$k3"
printf 'backup 4: nothing new, copied %d\t%s\trsync -a, nothing new\t%s\t%s\n' \
    "$c4" "$s4" "$r3" "$k4"
rm -rf "$RSO_HOME" "$t/bk" "$t/ref"
