/* crypt: the age-compatible verbs of rso-case: keygen, encrypt, decrypt. */
/* SPDX-License-Identifier: ISC */
#ifndef CASE_CRYPT_H
#define CASE_CRYPT_H

#include <stdio.h>

/*
 * Each verb takes argv[0] as its own name, parses its options with
 * getopt_long (common options included) and returns an exit status.
 */
int case_keygen(int argc, char **argv);
int case_encrypt(int argc, char **argv);
int case_decrypt(int argc, char **argv);

/*
 * The three synopsis lines, each indented by seven spaces so they line up
 * under a "usage: " line printed by the caller.
 */
void case_crypt_usage(FILE *fp);

#endif
