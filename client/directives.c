/*
 * #COLOSSUS directive parsing (see directives.h for the rules).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/directives.h"
#include "common/xalloc.h"

#define DIRECTIVE_TAG "#COLOSSUS"
#define DIRECTIVE_TAG_LEN (sizeof(DIRECTIVE_TAG) - 1)

/* A growing word buffer and a growing word list. */
struct dir_words {
	char **argv;
	int argc;
	size_t cap;
	char *word;
	size_t wlen, wcap;
	bool in_word;
};

static void dir_putc(struct dir_words *w, char c)
{
	if (w->wlen + 2 > w->wcap) {
		w->wcap = w->wcap ? w->wcap * 2 : 32;
		w->word = xrealloc(w->word, w->wcap);
	}
	w->word[w->wlen++] = c;
	w->in_word = true;
}

static void dir_end_word(struct dir_words *w)
{
	if (!w->in_word)
		return;
	if ((size_t)w->argc + 2 > w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->argv = xreallocarray(w->argv, w->cap, sizeof(char *));
	}
	w->argv[w->argc++] = xstrndup(w->word ? w->word : "", w->wlen);
	w->argv[w->argc] = NULL;
	w->wlen = 0;
	w->in_word = false;
}

static void dir_words_free(struct dir_words *w)
{
	for (int i = 0; i < w->argc; i++)
		free(w->argv[i]);
	free(w->argv);
	free(w->word);
	memset(w, 0, sizeof(*w));
}

static bool dir_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split s[0..len) into words following the quoting rules. */
static int dir_split(const char *s, size_t len, const char *name, unsigned line,
		     struct dir_words *w, struct err *e)
{
	size_t i = 0;

	while (i < len) {
		char c = s[i];

		if (dir_blank(c)) {
			dir_end_word(w);
			i++;
		} else if (c == '#' && !w->in_word) {
			break; /* comment to the end of the line */
		} else if (c == '\\') {
			if (i + 1 >= len)
				return err_set(e,
					       "%s:%u: backslash at the end "
					       "of the line",
					       name, line);
			dir_putc(w, s[i + 1]);
			i += 2;
		} else if (c == '\'') {
			const char *q = memchr(s + i + 1, '\'', len - i - 1);

			if (!q)
				return err_set(e, "%s:%u: unterminated ' quote",
					       name, line);
			w->in_word = true; /* '' is an empty word */
			for (const char *p = s + i + 1; p < q; p++)
				dir_putc(w, *p);
			i = (size_t)(q - s) + 1;
		} else if (c == '"') {
			w->in_word = true;
			for (i++;; i++) {
				if (i >= len)
					return err_set(e,
						       "%s:%u: unterminated "
						       "\" quote",
						       name, line);
				if (s[i] == '"')
					break;
				if (s[i] == '\\' && i + 1 < len &&
				    strchr("\"\\$`", s[i + 1]))
					i++;
				dir_putc(w, s[i]);
			}
			i++;
		} else {
			dir_putc(w, c);
			i++;
		}
	}
	dir_end_word(w);
	return 0;
}

/* Does the line start with the tag, in any case, as a whole word? */
static bool dir_tagged(const char *s, size_t len, bool exact)
{
	if (len < DIRECTIVE_TAG_LEN)
		return false;
	if (exact ? memcmp(s, DIRECTIVE_TAG, DIRECTIVE_TAG_LEN)
		  : strncasecmp(s, DIRECTIVE_TAG, DIRECTIVE_TAG_LEN))
		return false;
	return len == DIRECTIVE_TAG_LEN || dir_blank(s[DIRECTIVE_TAG_LEN]);
}

static void dir_add_line(struct directives *out, unsigned line,
			 struct dir_words *w)
{
	struct directive_line *dl;

	out->lines = xreallocarray(out->lines, out->n + 1, sizeof(*out->lines));
	dl = &out->lines[out->n++];
	dl->line = line;
	dl->argc = w->argc;
	dl->argv = w->argv;
	w->argv = NULL;
	w->argc = 0;
	w->cap = 0;
}

int directives_parse(const char *text, size_t len, const char *name,
		     struct directives *out, struct err *e)
{
	struct dir_words w;
	bool header = true;
	unsigned line = 0;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	if (!name)
		name = "<script>";
	if (memchr(text, '\0', len)) {
		err_set(e, "%s: contains a NUL byte (not a text script?)",
			name);
		goto fail;
	}
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - s) : len - pos;
		size_t k = 0;

		pos += llen + (nl ? 1 : 0);
		line++;
		if (llen && s[llen - 1] == '\r')
			llen--;
		if (dir_tagged(s, llen, true)) {
			if (!header) {
				if (!out->ignored_line)
					out->ignored_line = line;
				continue;
			}
			if (dir_split(s + DIRECTIVE_TAG_LEN,
				      llen - DIRECTIVE_TAG_LEN, name, line, &w,
				      e) < 0)
				goto fail;
			if (w.argc)
				dir_add_line(out, line, &w);
			continue;
		}
		if (header && dir_tagged(s, llen, false)) {
			err_set(e,
				"%s:%u: write the directive as %s (upper "
				"case)",
				name, line, DIRECTIVE_TAG);
			goto fail;
		}
		while (k < llen && dir_blank(s[k]))
			k++;
		if (k == llen || s[k] == '#')
			continue; /* blank, comment or the #! line */
		header = false;
	}
	dir_words_free(&w);
	return 0;
fail:
	dir_words_free(&w);
	directives_free(out);
	return -1;
}

void directives_free(struct directives *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		for (int k = 0; k < d->lines[i].argc; k++)
			free(d->lines[i].argv[k]);
		free(d->lines[i].argv);
	}
	free(d->lines);
	memset(d, 0, sizeof(*d));
}
