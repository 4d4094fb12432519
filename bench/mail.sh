#!/bin/sh
# bench/mail.sh: rso-mail of 10,000 reminder lines against the least any
# mailer does, a shell loop handing each line to sendmail as it is.  Both
# hand each message to the same fake sendmail (a shell script that reads
# the message and drops it), so the ratio is what rso-mail adds: reading
# the JSON, rendering the template, checking the recipient, writing the
# line on.  Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_MAIL:-10000}

awk -v n="$n" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "{\"kind\":\"review-due\",\"case\":\"RSO-2026-%06d\",\"email\":\"sp%d@example.org\",\"name\":\"Dr Test %d\",\"due\":\"2026-10-15T12:00:00Z\",\"days_left\":2,\"role\":\"primary\"}\n", i, i, i
}' >"$t/mail.jsonl"
printf '#!/bin/sh\nexec cat >/dev/null\n' >"$t/sendmail"
chmod +x "$t/sendmail"
mkdir -p "$t/mail-home"
/usr/bin/time -f '%e %M' -o "$t/tm" sh -c \
    "RSO_HOME='$t/mail-home' SENDMAIL='$t/sendmail' rso-mail '$t/mail.jsonl' >/dev/null"
/usr/bin/time -f '%e %M' -o "$t/tl" sh -c \
    "while IFS= read -r l; do printf '%s\n' \"\$l\" | '$t/sendmail' -t -oi; done <'$t/mail.jsonl'"
read -r ms mk <"$t/tm"
read -r ls _ <"$t/tl"
printf 'mail of %d reminders\t%s\tsh loop | sendmail\t%s\t%s\n' "$n" "$ms" "$ls" "$mk"
