/* rso_media: what a file is, from its first bytes, never from its name. */
/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rso_hash.h"
#include "rso_map.h"
#include "rso_media.h"

static int
starts(const unsigned char *h, size_t n, const char *magic, size_t len)
{
	return n >= len && memcmp(h, magic, len) == 0;
}

/* UTF-8 without NULs or other C0 controls but TAB, CR, LF, FF. */
static int
is_text(const unsigned char *h, size_t n, int complete)
{
	size_t i = 0, k, need;

	if (n == 0)
		return 1;
	while (i < n) {
		unsigned char c = h[i];

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' &&
			    c != '\f')
				return 0;
			if (c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return 0;
		/* A character cut by the end of the sniffed bytes is fine. */
		if (i + need >= n)
			return !complete;
		for (k = 1; k <= need; k++)
			if ((h[i + k] & 0xc0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

static int
markdown_heading(const unsigned char *h, size_t n)
{
	size_t i = 0;

	if (starts(h, n, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && h[i] == '#')
		i++;
	return i > 0 && i < n && h[i] == ' ' && h[0] != ' ';
}

const char *
rso_media_type(const unsigned char *h, size_t n, int complete)
{
	if (starts(h, n, "%PDF-", 5))
		return "application/pdf";
	if (n >= 132 && memcmp(h + 128, "DICM", 4) == 0)
		return "application/dicom";
	if (starts(h, n, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (starts(h, n, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (starts(h, n, "GIF87a", 6) || starts(h, n, "GIF89a", 6))
		return "image/gif";
	if (starts(h, n, "II*\0", 4) || starts(h, n, "MM\0*", 4))
		return "image/tiff";
	if (starts(h, n, "PK\x03\x04", 4) || starts(h, n, "PK\x05\x06", 4))
		return "application/zip";
	if (starts(h, n, "\x1f\x8b", 2))
		return "application/gzip";
	if (starts(h, n, "{\\rtf", 5))
		return "application/rtf";
	if (!is_text(h, n, complete))
		return "application/octet-stream";
	if (starts(h, n, "<?xml", 5))
		return "application/xml";
	if (n >= 9 && (strncasecmp((const char *)h, "<!doctype", 9) == 0 ||
	    strncasecmp((const char *)h, "<html", 5) == 0))
		return "text/html";
	if (markdown_heading(h, n))
		return "text/markdown";
	return "text/plain";
}

/* The media types rso knows, with the extension it gives their files. */
static const struct { const char *type, *ext; } media_map[] = {
	{ "application/pdf", "pdf" }, { "application/dicom", "dcm" },
	{ "image/png", "png" }, { "image/jpeg", "jpg" },
	{ "image/gif", "gif" }, { "image/tiff", "tif" },
	{ "application/zip", "zip" }, { "application/gzip", "gz" },
	{ "application/rtf", "rtf" }, { "application/xml", "xml" },
	{ "text/html", "html" }, { "text/markdown", "md" },
	{ "text/plain", "txt" }, { "application/fhir+json", "json" },
	{ "application/hl7-v2", "hl7" }, { "text/xml", "xml" },
};

const char *
rso_media_ext(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(media_map) / sizeof(media_map[0]); i++)
		if (strcmp(media_map[i].type, t) == 0)
			return media_map[i].ext;
	return "bin";
}

const char *
rso_media_known(const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(media_map) / sizeof(media_map[0]); i++)
		if (strlen(media_map[i].type) == n &&
		    strncasecmp(media_map[i].type, t, n) == 0)
			return media_map[i].type;
	return NULL;
}

/* A file surveyed so far: its hash, length and first bytes. */
struct survey {
	struct rso_sha256 *h;
	long long size;
	unsigned char head[RSO_MEDIA_SNIFF];
	size_t headlen;
};

static int
survey_take(void *ctx, const void *buf, size_t n, struct rso_error *e)
{
	struct survey *s = ctx;
	size_t k;

	(void)e;
	if (s->headlen < sizeof(s->head)) {
		k = n < sizeof(s->head) - s->headlen ? n :
		    sizeof(s->head) - s->headlen;
		memcpy(s->head + s->headlen, buf, k);
		s->headlen += k;
	}
	rso_sha256_update(s->h, buf, n);
	s->size += (long long)n;
	return 0;
}

/* From the offset on to the end, as it is now: -1 with errno set. */
static int
survey_read(int fd, struct survey *s)
{
	unsigned char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		survey_take(s, buf, (size_t)n, NULL);
	return n < 0 ? -1 : 0;
}

static void
survey_start(struct survey *s)
{
	memset(s, 0, sizeof(*s));
	s->h = rso_sha256_new();
}

int
rso_file_survey(int fd, char *sha256, long long *size, const char **media_type)
{
	struct rso_error e;
	struct survey s;
	int rc;

	survey_start(&s);
	/* Mapped up to the size it has, then what it gained, read. */
	rc = lseek(fd, 0, SEEK_SET) == 0 ? rso_map_rest(fd, survey_take, &s,
	    &e) : -1;
	if (rc == EX_DATAERR) {
		/* Cut short under the mapping: surveyed again as it is now,
		 * by reading. */
		rso_sha256_final_hex(s.h, sha256);
		survey_start(&s);
		rc = lseek(fd, 0, SEEK_SET) == 0 ? survey_read(fd, &s) : -1;
	}
	rso_sha256_final_hex(s.h, sha256);
	*size = s.size;
	if (rc != 0)
		return -1;
	*media_type = rso_media_type(s.head, s.headlen,
	    s.size == (long long)s.headlen);
	return 0;
}
