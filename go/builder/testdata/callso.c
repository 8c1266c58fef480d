// callso loads a usegolib bridge library the way a loader does and calls it.
//
// usage: callso LIB < requests
//
// It prints "abi N" and "schema HEX", then, for every input line "CAP HEX"
// (a reply buffer capacity and a request in hex), one line "RC OWNED HEX":
// the return value of usegolib_call, 1 if the reply was malloc'd (then freed
// with usegolib_free) or 0 if it was written into the caller's buffer, and
// the reply in hex.
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t (*abi_fn)(void);
typedef const uint8_t *(*schema_fn)(size_t *);
typedef int32_t (*call_fn)(const uint8_t *, size_t, uint8_t *, size_t, uint8_t **, size_t *);
typedef void (*free_fn)(void *);

static void put_hex(const uint8_t *p, size_t n) {
	for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static int unhex(int c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: callso LIB < requests\n");
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	abi_fn abi = (abi_fn)dlsym(h, "usegolib_abi_version");
	schema_fn schema = (schema_fn)dlsym(h, "usegolib_schema");
	call_fn call = (call_fn)dlsym(h, "usegolib_call");
	free_fn release = (free_fn)dlsym(h, "usegolib_free");
	if (!abi || !schema || !call || !release) {
		fprintf(stderr, "missing symbol\n");
		return 1;
	}
	printf("abi %u\n", abi());
	size_t n = 0;
	const uint8_t *s = schema(&n);
	printf("schema ");
	put_hex(s, n);
	printf("\n");

	char *line = NULL;
	size_t linecap = 0;
	while (getline(&line, &linecap, stdin) > 0) {
		char *sp = strchr(line, ' ');
		if (sp == NULL) continue;
		size_t cap = strtoul(line, NULL, 10);
		char *hex = sp + 1;
		size_t hl = strcspn(hex, "\r\n");
		uint8_t *req = malloc(hl / 2 + 1);
		for (size_t i = 0; i + 1 < hl; i += 2) req[i / 2] = (uint8_t)(unhex(hex[i]) << 4 | unhex(hex[i + 1]));
		uint8_t *buf = cap ? malloc(cap) : NULL;
		uint8_t *out = NULL;
		size_t out_len = 0;
		int32_t rc = call(req, hl / 2, buf, cap, &out, &out_len);
		int owned = out != NULL && out != buf;
		printf("%d %d ", rc, owned);
		if (out != NULL) put_hex(out, out_len);
		printf("\n");
		fflush(stdout);
		if (owned) release(out);
		free(buf);
		free(req);
	}
	free(line);
	return 0;
}
