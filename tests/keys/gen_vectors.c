/* gen_vectors: writes PUBLIC test vectors (signed keysets, manifests and
 * statements, plus near-valid variants) for the fuzz seed corpora.  The
 * signing keys live only in a temporary directory and are deleted before
 * exit; only public keys and signatures are written.  Run by hand:
 *   make O=build-trust trust-vectors   (see lib/module.mk)
 * then copy the outputs into tests/fuzz/corpus/fuzz_{keyset,manifest,
 * statement}/ and the keyset text into the fuzz targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/keys/expand.h"
#include "tests/keys/fixture.h"

#define BUF 20000
#define KS1 "epoxy-keyset 1\nserial 1\nthreshold 2\nrelease {id0} {pub0}\nrelease {id1} {pub1}\nrelease {id2} {pub2}\nonline {id3} {pub3}\nend\n"
#define KS2 "epoxy-keyset 1\nserial 2\nthreshold 2\nrelease {id4} {pub4}\nrelease {id5} {pub5}\nrelease {id6} {pub6}\nonline {id7} {pub7}\nrevoked {id2}\nend\n"
#define H1 "8d23cf6c86e834a7aa6eded54c26ce2bb2e74903538c61bdd5d2197997ab2f72"
#define H2 "ed968e840d10d2d313a870bc131a4e2c311d7ad09bdf32b3418147221f51a6e2"
#define MF_HEAD "epoxy-manifest 1\nversion 7\nexpires 2000000000\nhwclass qemu-x86_64\nmin-agent 1\n"
#define ARTS "artifact kernel 8388608 " H1 "\nartifact initramfs 1048576 " H2 "\nartifact cmdline 60 " H1 "\nartifact join 300 " H2 "\n"
#define ST "epoxy-statement 1\nhost node1\nsession 0123456789abcdef\nnonce a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0\nmanifest " H1 "\nversion 7\ntime 1763784000\nexpires 1763784600\nend\n"

static struct fx fx;

static void out(const char *dir, const char *name, const char *tmpl, const int *signers)
{
	char buf[BUF], path[512];
	size_t body, len;
	FILE *f;

	body = fx_expand(&fx, tmpl, buf, sizeof(buf));
	len = body;
	fx_sign(&fx, buf, sizeof(buf), &len, body, signers);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const int s01[] = { 0, 1, FX_END }, s0[] = { 0, FX_END }, s00[] = { 0, 0, FX_END };
	static const int s012[] = { 0, 1, 2, FX_END }, s3[] = { 3, FX_END }, s04[] = { 0, 8, FX_END };
	static const int rot[] = { 0, 1, 4, 5, FX_END }, none[] = { FX_END };
	const char *d;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_vectors DIR\n");
		return 2;
	}
	d = argv[1];
	fx_init(&fx, 9);
	out(d, "keyset-root", KS1, s01);
	out(d, "keyset-root-3sig", KS1, s012);
	out(d, "keyset-rot2", KS2, rot);
	out(d, "keyset-unsigned", KS1, none);
	out(d, "keyset-dupsig", KS1, s00);
	out(d, "keyset-twoids", "epoxy-keyset 1\nserial 1\nthreshold 1\nrelease {id0} {pub0}\nrelease {id1} {pub0}\nonline {id3} {pub3}\nend\n", s0);
	out(d, "keyset-threshold0", "epoxy-keyset 1\nserial 1\nthreshold 0\nrelease {id0} {pub0}\nonline {id3} {pub3}\nend\n", s0);
	out(d, "keyset-x", "epoxy-keyset 1\nx-note hi\nserial 1\nthreshold 1\nrelease {id0} {pub0}\nonline {id3} {pub3}\nrevoked 0011223344556677\nend\n", s0);
	out(d, "manifest-valid", MF_HEAD ARTS "end\n", s01);
	out(d, "manifest-3sig", MF_HEAD ARTS "end\n", s012);
	out(d, "manifest-1sig", MF_HEAD ARTS "end\n", s0);
	out(d, "manifest-dupsig", MF_HEAD ARTS "end\n", s00);
	out(d, "manifest-unknownkey", MF_HEAD ARTS "end\n", s04);
	out(d, "manifest-x", MF_HEAD "x-built-by ci-42\n" ARTS "end\n", s01);
	out(d, "manifest-missing", "epoxy-manifest 1\nversion 7\nexpires 2000000000\nhwclass qemu-x86_64\n" ARTS "end\n", s01);
	out(d, "manifest-dup", MF_HEAD "version 8\n" ARTS "end\n", s01);
	out(d, "manifest-oversize", "epoxy-manifest 1\nversion 7\nexpires 2000000000\nhwclass qemu-x86_64\nmin-agent 1\nartifact kernel 536870913 " H1 "\nartifact initramfs 1 " H2 "\nartifact cmdline 60 " H1 "\nartifact join 300 " H2 "\nend\n", s01);
	out(d, "manifest-unknown", MF_HEAD "priority 1\n" ARTS "end\n", s01);
	out(d, "statement-valid", ST, s3);
	out(d, "statement-unsigned", ST, none);
	out(d, "statement-release-signed", ST, s0);
	out(d, "statement-x", "epoxy-statement 1\nx-a b\nhost node1\nsession 0123456789abcdef\nnonce a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0\nmanifest " H1 "\nversion 7\ntime 1763784000\nexpires 1763784600\nend\n", s3);
	out(d, "statement-expired", "epoxy-statement 1\nhost node1\nsession 0123456789abcdef\nnonce a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0\nmanifest " H1 "\nversion 7\ntime 1763784000\nexpires 1763784000\nend\n", s3);
	fx_free(&fx);
	return 0;
}
