/* rso_media: what a file is, from its first bytes, never from its name. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_MEDIA_H
#define RSO_MEDIA_H

#include <stddef.h>

/* How many leading bytes rso_media_type wants to see (fewer is fine). */
#define RSO_MEDIA_SNIFF 512

/*
 * The media type of content beginning with head[0..n): application/pdf,
 * application/dicom (DICM at offset 128), image/png, image/jpeg,
 * image/gif, image/tiff, application/zip, application/gzip,
 * application/rtf, application/xml, text/html, text/markdown (UTF-8 text
 * opening with a Markdown heading), text/plain (other UTF-8 text without
 * NULs), else application/octet-stream.  complete says head holds the
 * whole content (so text checks need not fear a cut character).
 */
const char *rso_media_type(const unsigned char *head, size_t n, int complete);

/* The file name extension rso uses for a media type ("pdf", "bin"). */
const char *rso_media_ext(const char *media_type);

/*
 * The media type rso knows that the n bytes of t name (case aside, as
 * media types compare), as a string that lives for the run; NULL for a
 * type rso does not know.  For a type a sender declares.
 */
const char *rso_media_known(const char *t, size_t n);

/*
 * Read an open file through once from its start: its SHA-256 (hex, 65
 * bytes), size and media type.  Returns 0, or -1 with errno set.  Memory
 * stays flat whatever the size.
 */
int rso_file_survey(int fd, char *sha256, long long *size,
    const char **media_type);

#endif
