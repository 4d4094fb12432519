#!/usr/bin/env bats
# rso-case keygen/encrypt/decrypt: interop with age(1) and every refusal.
# SPDX-License-Identifier: ISC
bats_require_minimum_version 1.5.0
load lib

SIZES="0 1 65535 65536 65537 5242881"

local_setup() {
	PATH="$TOP/t/helpers:$PATH"
	rso-case keygen -o rso.key 2>/dev/null
	RSO_PUB=$(sed -n 's/^# public key: //p' rso.key)
	age-keygen -o age.key 2>/dev/null
	AGE_PUB=$(age-keygen -y age.key)
	for n in $SIZES; do
		head -c "$n" /dev/urandom >"p$n"
	done
}

# A file encrypted to rso.key holding N bytes.
enc() {
	rso-case encrypt -r "$RSO_PUB" -o "$2" "p$1"
}

@test "rso-case keygen writes age-keygen's format, mode 0600" {
	run -0 --separate-stderr rso-case keygen -o k.txt
	[ "$(stat -c %a k.txt)" = 600 ]
	run -0 sed -n 1p k.txt
	assert_output "# created: 2026-10-01T12:00:00Z"
	pub=$(sed -n 's/^# public key: //p' k.txt)
	[[ $pub == age1* ]]
	[ ${#pub} -eq 62 ]
	run -0 sed -n 3p k.txt
	assert_output --regexp '^AGE-SECRET-KEY-1[0-9A-Z]{58}$'
	# age derives the same public key from the secret key.
	run -0 age-keygen -y k.txt
	assert_output "$pub"
}

@test "rso-case keygen prints the public key on stderr" {
	run -0 --separate-stderr rso-case keygen -o k.txt
	pub=$(sed -n 's/^# public key: //p' k.txt)
	[ "$stderr" = "Public key: $pub" ]
	run -0 --separate-stderr rso-case keygen
	[[ $output == *AGE-SECRET-KEY-1* ]]
	[[ $stderr == "Public key: age1"* ]]
}

@test "rso-case keygen refuses to overwrite" {
	echo keep >k.txt
	run -73 rso-case keygen -o k.txt
	assert_output "rso-case: k.txt: File exists"
	run -0 cat k.txt
	assert_output keep
}

@test "rso-case keygen output decrypts what age encrypts" {
	age -r "$RSO_PUB" -o f.age p65537
	run -0 age -d -i rso.key -o out f.age
	cmp out p65537
}

@test "rso-case encrypt to X25519: age decrypts every size" {
	for n in $SIZES; do
		rso-case encrypt -r "$AGE_PUB" -o "c$n" "p$n"
		age -d -i age.key "c$n" | cmp - "p$n"
	done
}


@test "rso-case encrypt reads standard input as given: a file from its offset, a pipe, a FIFO" {
	# A file on standard input is read from where its offset stands
	# (its pages mapped), not from its start.
	(head -c 70000 >/dev/null; rso-case encrypt -r "$AGE_PUB" -o off.age) <p5242881
	age -d -i age.key off.age | cmp - <(tail -c +70001 p5242881)
	# Past its end: nothing left, an empty age file.
	(head -c 5242881 >/dev/null; rso-case encrypt -r "$AGE_PUB" -o end.age) <p5242881
	run -0 age -d -i age.key end.age
	assert_output ""
	cat p5242881 | rso-case encrypt -r "$AGE_PUB" -o pipe.age
	age -d -i age.key pipe.age | cmp - p5242881
	mkfifo fifo
	cat p65537 >fifo &
	timeout 20 rso-case encrypt -r "$AGE_PUB" -o fifo.age fifo
	age -d -i age.key fifo.age | cmp - p65537
}
@test "rso-case decrypt: what age encrypts, every size" {
	for n in $SIZES; do
		age -r "$RSO_PUB" -o "c$n" "p$n"
		rso-case decrypt -i rso.key "c$n" | cmp - "p$n"
	done
}

@test "rso-case encrypt -a: age decrypts the armor, every size" {
	for n in $SIZES; do
		rso-case encrypt -a -r "$AGE_PUB" "p$n" >"c$n"
		head -1 "c$n" | grep -qx -- '-----BEGIN AGE ENCRYPTED FILE-----'
		age -d -i age.key "c$n" | cmp - "p$n"
	done
}

@test "rso-case decrypt detects age's armor, every size" {
	for n in $SIZES; do
		age -a -r "$RSO_PUB" "p$n" >"c$n"
		rso-case decrypt -i rso.key <"c$n" | cmp - "p$n"
	done
}

@test "rso-case encrypt -p: age decrypts with the passphrase (pty)" {
	run -0 ptyrun 'correct horse' rso-case encrypt -p -o c.age p65537
	grep -aq '^-> scrypt ' c.age
	run -0 ptyrun 'correct horse' age -d -o out c.age
	cmp out p65537
}

@test "rso-case decrypt: age -p files, from a passphrase file and a tty" {
	ptyrun 'correct horse' age -p -o c.age p65537 2>/dev/null
	printf 'correct horse\n' >pass
	run -0 rso-case decrypt --passphrase-file pass -o out c.age
	cmp out p65537
	run -0 ptyrun 'correct horse' rso-case decrypt -o out2 c.age
	cmp out2 p65537
}

@test "rso-case encrypt --passphrase-file: one trailing newline is dropped" {
	printf 'pw\n' >pass
	rso-case encrypt --passphrase-file pass -o c.age p1
	printf 'pw' >pass2
	run -0 rso-case decrypt --passphrase-file pass2 c.age
	printf 'pw\n\n' >pass3
	run -77 rso-case decrypt --passphrase-file pass3 c.age
	assert_output "rso-case: c.age: wrong passphrase"
	run -0 ptyrun pw age -d -o out c.age
	cmp out p1
}

@test "rso-case encrypt -p: mismatched confirmation is refused" {
	cat >answers.py <<-'EOF'
	import os, pty, sys
	pid, fd = pty.fork()
	if pid == 0:
	    os.execvp("rso-case", ["rso-case", "encrypt", "-p", "-o", "c.age", "p1"])
	for answer in (b"one\n", b"two\n"):
	    buf = b""
	    while b": " not in buf:
	        buf += os.read(fd, 100)
	    os.write(fd, answer)
	try:
	    while True:
	        data = os.read(fd, 100)
	        if not data:
	            break
	        sys.stdout.buffer.write(data)
	except OSError:
	    pass
	sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
	EOF
	run -65 python3 answers.py
	assert_output --partial "rso-case: passphrases do not match"
	[ ! -e c.age ]
}

@test "rso-case encrypt: several recipients, files with comments" {
	rso-case keygen -o two.key 2>/dev/null
	two=$(sed -n 's/^# public key: //p' two.key)
	printf '# team\n\n%s\r\n# more\n%s\n' "$AGE_PUB" "$two" >recipients
	rso-case encrypt -R recipients -r "$RSO_PUB" -o c.age p65536
	age -d -i age.key c.age | cmp - p65536
	rso-case decrypt -i two.key c.age | cmp - p65536
	rso-case decrypt -i rso.key c.age | cmp - p65536
	# An identity file with several keys and comments.
	cat two.key age.key >both.key
	age -r "$AGE_PUB" -o d.age p1
	rso-case decrypt -i both.key d.age | cmp - p1
}

@test "rso-case decrypt uses RSO_IDENTITY" {
	enc 65535 c.age
	RSO_IDENTITY=rso.key run -0 rso-case decrypt -o out c.age
	cmp out p65535
}

@test "rso-case decrypt: wrong key is exit 77" {
	enc 1 c.age
	run -77 rso-case decrypt -i age.key c.age
	assert_output "rso-case: c.age: no identity matches any of the file's recipients"
	run -77 rso-case decrypt c.age
	assert_output "rso-case: c.age: no identity given (use -i or RSO_IDENTITY)"
}

@test "rso-case decrypt: wrong passphrase is exit 77" {
	printf 'right\n' >pass
	printf 'wrong\n' >bad
	rso-case encrypt --passphrase-file pass -o c.age p1
	run -77 rso-case decrypt --passphrase-file bad c.age
	assert_output "rso-case: c.age: wrong passphrase"
	run -77 rso-case decrypt -i rso.key --passphrase-file bad c.age
	assert_output "rso-case: c.age: wrong passphrase"
}

@test "rso-case decrypt: not an age file" {
	echo hello >f
	run -65 rso-case decrypt -i rso.key f
	assert_output "rso-case: f: header: not an age file"
	: >empty
	run -65 rso-case decrypt -i rso.key empty
	assert_output "rso-case: empty: header: truncated"
	printf 'age-encryption.org/v2\n' >v2
	run -65 rso-case decrypt -i rso.key v2
	assert_output "rso-case: v2: header: unsupported age version"
}

# Insert header lines right after the version line of c.age.
inject() {
	{ printf 'age-encryption.org/v1\n'; printf -- "$1"; tail -c +23 c.age; } >bad.age
}

@test "rso-case decrypt: malformed headers are refused" {
	enc 1 c.age
	inject '-> extra\n\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: MAC does not verify"
	inject '-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: an scrypt stanza must be the only one"
	inject '-> x\nZh\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed stanza body"
	inject '-> x\nZg==\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed stanza body"
	inject '-> x\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed stanza body"
	inject '-> x\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed stanza body"
	inject '->  x\n\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed stanza"
	inject '-> x \n\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed stanza"
	inject '-> X25519 AAAA\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: malformed X25519 stanza"
	inject '-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: header: X25519 share is a low-order point"
}

@test "rso-case decrypt: scrypt work factor over 22 is refused" {
	printf 'pw\n' >pass
	rso-case encrypt --passphrase-file pass -o c.age p1
	sed '2s/ 18$/ 23/' c.age >bad.age
	run -65 rso-case decrypt --passphrase-file pass bad.age
	assert_output "rso-case: bad.age: header: scrypt work factor too large"
	sed '2s/ 18$/ 018/' c.age >bad.age
	run -65 rso-case decrypt --passphrase-file pass bad.age
	assert_output "rso-case: bad.age: header: malformed scrypt work factor"
}

@test "rso-case decrypt: damaged payloads are refused" {
	enc 65537 c.age
	size=$(stat -c %s c.age)
	# The final chunk is 1 + 16 bytes: drop it.
	head -c $((size - 17)) c.age >bad.age
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: payload: truncated (no final chunk)"
	# A flipped bit in the first chunk.
	python3 -c 'import sys; b=bytearray(open("c.age","rb").read()); b[300]^=1; sys.stdout.buffer.write(b)' >bad.age
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output --partial "rso-case: bad.age: payload: chunk does not authenticate"
	# Trailing data after a full-size final chunk.
	enc 65536 d.age
	{ cat d.age; printf x; } >bad.age
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output --partial "rso-case: bad.age: payload: data after the final chunk"
	# Cut inside the nonce.
	hlen=$(grep -abo -- '^--- ' d.age | cut -d: -f1)
	head -c $((hlen + 48 + 5)) d.age >bad.age
	run -65 rso-case decrypt -i rso.key bad.age
	assert_output "rso-case: bad.age: payload: truncated nonce"
}

@test "rso-case decrypt: malformed armor is refused" {
	rso-case encrypt -a -r "$RSO_PUB" -o c.asc p65537
	{ cat c.asc; echo junk; } >bad.asc
	run -65 rso-case decrypt -i rso.key bad.asc
	assert_output "rso-case: bad.asc: armor: data after the end line"
	sed '3s/^./&&/' c.asc >bad.asc
	run -65 rso-case decrypt -i rso.key bad.asc
	assert_output "rso-case: bad.asc: armor: line longer than 64 columns"
	sed '3s/^.//' c.asc >bad.asc
	run -65 rso-case decrypt -i rso.key bad.asc
	assert_output "rso-case: bad.asc: armor: malformed base64"
	sed '1s/AGE/age/' c.asc >bad.asc
	run -65 rso-case decrypt -i rso.key bad.asc
	assert_output "rso-case: bad.asc: armor: bad begin line"
	sed '$d' c.asc >bad.asc
	run -65 rso-case decrypt -i rso.key bad.asc
	assert_output "rso-case: bad.asc: armor: no end line"
	# Surrounding whitespace is allowed, as age allows it.
	{ printf '\n  \n'; cat c.asc; printf '\n\n'; } >ok.asc
	rso-case decrypt -i rso.key ok.asc | cmp - p65537
}

@test "rso-case decrypt -o leaves no partial file on failure" {
	enc 5242881 c.age
	size=$(stat -c %s c.age)
	head -c $((size - 100)) c.age >bad.age
	mkdir out
	run -65 rso-case decrypt -i rso.key -o out/plain bad.age
	[ -z "$(ls -A out)" ]
	run -77 rso-case decrypt -i age.key -o out/plain c.age
	[ -z "$(ls -A out)" ]
	echo old >out/plain
	run -65 rso-case decrypt -i rso.key -o out/plain bad.age
	run -0 cat out/plain
	assert_output old
	run -0 rso-case decrypt -i rso.key -o out/plain c.age
	cmp out/plain p5242881
	[ "$(ls -A out)" = plain ]
}

@test "rso-case encrypt -o leaves no partial file on failure" {
	mkdir out
	run -66 rso-case encrypt -r "$RSO_PUB" -o out/c.age missing
	assert_output "rso-case: missing: No such file or directory"
	[ -z "$(ls -A out)" ]
}

@test "rso-case encrypt refuses binary output to a terminal" {
	run -64 ptyrun x rso-case encrypt -r "$RSO_PUB" p1
	assert_output --partial "rso-case: refusing to write binary ciphertext to a terminal (use -a or -o)"
	run -0 ptyrun x rso-case encrypt -a -r "$RSO_PUB" p1
	assert_output --partial "BEGIN AGE ENCRYPTED FILE"
}

@test "rso-case encrypt: usage errors" {
	run -64 rso-case encrypt p1
	assert_line -n 0 "rso-case: missing recipients (-r, -R or -p)"
	run -64 rso-case encrypt -p -r "$RSO_PUB" p1
	assert_line -n 0 "rso-case: a passphrase cannot be combined with -r or -R"
	run -64 rso-case encrypt -r age1nope p1
	assert_line -n 0 "rso-case: -r: malformed recipient"
	run -64 rso-case encrypt -r "$RSO_PUB" p1 p0
	assert_line -n 0 "rso-case: too many operands"
	run -64 rso-case decrypt -a c.age
	run -64 rso-case decrypt -r "$RSO_PUB" c.age
	run -0 rso-case encrypt --help
	assert_line -n 0 --partial "usage: rso-case encrypt"
}

@test "rso-case encrypt/decrypt: bad key files" {
	printf '# c\n%s\nage1nope\n' "$RSO_PUB" >recipients
	run -65 rso-case encrypt -R recipients -o c.age p1
	assert_output "rso-case: recipients:3: malformed recipient"
	printf '# nothing\n\n' >none
	run -65 rso-case encrypt -R none -o c.age p1
	assert_output "rso-case: none: no recipients"
	run -66 rso-case encrypt -R nofile -o c.age p1
	assert_output "rso-case: nofile: No such file or directory"
	[ ! -e c.age ]
	enc 1 c.age
	printf '# c\nAGE-SECRET-KEY-1NOPE\n' >bad.key
	run -65 rso-case decrypt -i bad.key c.age
	assert_output "rso-case: bad.key:2: malformed secret key"
	run -66 rso-case decrypt -i nofile c.age
	assert_output "rso-case: nofile: No such file or directory"
	run -66 rso-case decrypt -i rso.key nofile
	assert_output "rso-case: nofile: No such file or directory"
	: >empty
	run -65 rso-case decrypt --passphrase-file empty c.age
	assert_output "rso-case: empty: empty passphrase"
}

# Peak RSS in KiB of a command reading N MiB of zeros on stdin.
rss() {
	head -c "$1"M /dev/zero | /usr/bin/time -f %M -o rss.out "${@:2}" >/dev/null
	cat rss.out
}

@test "rso-case encrypt/decrypt: memory stays flat from 64 MiB to 512 MiB" {
	command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time"
	small=$(rss 64 rso-case encrypt -r "$RSO_PUB")
	large=$(rss 512 rso-case encrypt -r "$RSO_PUB")
	echo "encrypt: $small KiB at 64 MiB, $large KiB at 512 MiB"
	[ "$large" -lt $((small + 1024)) ]
	[ "$large" -lt 16384 ]
	head -c 512M /dev/zero | rso-case encrypt -r "$RSO_PUB" -o big.age
	head -c 64M big.age >/dev/null
	/usr/bin/time -f %M -o rss.out rso-case decrypt -i rso.key big.age >/dev/null
	large=$(cat rss.out)
	head -c 64M /dev/zero | rso-case encrypt -r "$RSO_PUB" -o small.age
	/usr/bin/time -f %M -o rss.out rso-case decrypt -i rso.key small.age >/dev/null
	small=$(cat rss.out)
	echo "decrypt: $small KiB at 64 MiB, $large KiB at 512 MiB"
	[ "$large" -lt $((small + 1024)) ]
	[ "$large" -lt 16384 ]
}
