#!/bin/bash
# t_signers.sh: what each signing key of the build signed (docs/threat-model.md,
# "What each signature guarantees").
#
# The db key makes the firmware run a file, so it may sign exactly two kinds
# of files: stage0 (Debian's iPXE, byte for byte apart from the signature)
# and unified kernel images whose .linux, .cmdline and .initrd are all
# embedded (the stub ignores a loader's command line and initrd under
# Secure Boot).  A bare kernel takes its initrd and command line from
# whoever chains it, so no bare kernel may carry a db signature: the
# release kernels are signed with the kexec key (which the firmware does not
# trust), stage1/vmlinuz (the legacy-BIOS and enrollment kernel) with none.
#
# Walks every PE file under $O (the images, their staged inputs, bench and
# demo outputs; not the Debian packages and kernel tree the build unpacks,
# nor the QEMU scenarios' scratch copies) and classifies each by the
# certificates it verifies with.  Also: the kexec certificate is in none of
# PK, KEK, db (nor their .esl/.auth updates), and the stage1 kernel trusts
# exactly kexec-trust.pem, with no platform or secondary keyring.  The
# classifier is itself checked on a db-signed copy of a bare kernel and of
# a UKI without .initrd, which it must reject.
. "$(dirname "$0")/../lib/tap.sh"
K=$O/keys; I=$O/images
need_built "$K/db.crt" "$K/kexec.crt" "$K/kexec-trust.pem" "$I/stage0.efi" "$I/stage1.efi" \
	"$I/stage1/vmlinuz" "$O/stage1/kbuild/config" "$O/config.mk"
need sbverify sbattach sbsign objdump openssl
tmpdir epoxy-t-signers; tmp=$T_DIR
ipxe=$(sed -n 's/^CONFIG_IPXE_EFI := //p' "$O/config.mk")
# the db certificates the fleet may hold (after keys/epoxy-pki rotate-db, db-prev too)
DBS=("$K/db.crt"); [ -f "$K/db-prev.crt" ] && DBS+=("$K/db-prev.crt")
KEXECS=("$K/kexec.crt"); [ -f "$K/kexec-prev.crt" ] && KEXECS+=("$K/kexec-prev.crt")

is_pe() { [ "$(head -c 2 "$1" 2>/dev/null)" = MZ ] && [ "$(stat -c %s "$1")" -gt 512 ]; }
sections() { objdump -h "$1" 2>/dev/null | awk '$2 ~ /^\./ {print $2}'; }
signed_by() { # FILE CERT...: verifies with one of them
	local f=$1 c; shift
	for c in "$@"; do sbverify --cert "$c" "$f" >/dev/null 2>&1 && return 0; done
	return 1
}
stripped() { # FILE OUT: the file without its signatures
	cp "$1" "$2" && while sbattach --remove "$2" >/dev/null 2>&1; do :; done
}
# same_sections A B: the same PE sections with the same contents (sbsign
# rewrites the header's checksum and the certificate table, nothing else)
same_sections() {
	local sec
	[ "$(sections "$1")" = "$(sections "$2")" ] || return 1
	for sec in $(sections "$1"); do
		objcopy -O binary --only-section="$sec" "$1" "$tmp/sa" 2>/dev/null &&
		objcopy -O binary --only-section="$sec" "$2" "$tmp/sb" 2>/dev/null &&
		cmp -s "$tmp/sa" "$tmp/sb" || return 1
	done
}
is_stage0() { # FILE: Debian's iPXE (any of its EFI builds) plus our signature
	local c
	for c in "$ipxe" /usr/lib/ipxe/*.efi; do
		[ -f "$c" ] && same_sections "$1" "$c" && return 0
	done
	return 1
}
is_uki() { # FILE: .linux, .cmdline and .initrd embedded, none empty
	local sec sz
	for sec in .linux .cmdline .initrd; do
		sz=$(objdump -h "$1" 2>/dev/null | awk -v s="$sec" '$2 == s {print $3}')
		[ -n "$sz" ] && [ $((16#$sz)) -gt 0 ] || return 1
	done
}
is_bzimage() { [ "$(dd if="$1" bs=1 skip=514 count=4 status=none)" = HdrS ]; }
# classify FILE: prints "db-stage0", "db-uki", "kexec-kernel", "unsigned",
# "other" or a "BAD: ..." reason
classify() {
	local f=$1
	if signed_by "$f" "${DBS[@]}"; then
		signed_by "$f" "${KEXECS[@]}" && { echo "BAD: signed with both db and kexec"; return; }
		if is_uki "$f"; then echo db-uki
		elif is_stage0 "$f"; then echo db-stage0
		elif sections "$f" | grep -qx .linux; then echo "BAD: db-signed UKI without an embedded .cmdline and .initrd"
		else echo "BAD: db-signed and neither stage0 nor a UKI (a bare kernel boots with any initrd and command line)"; fi
	elif signed_by "$f" "${KEXECS[@]}"; then
		if is_bzimage "$f" && ! sections "$f" | grep -qx .linux; then echo kexec-kernel
		else echo "BAD: kexec-signed and not a bare kernel"; fi
	elif [ "$(sbverify --list "$f" 2>/dev/null | grep -c '^signature ')" = 0 ]; then
		echo unsigned
	else
		echo other
	fi
}

# ---- the classifier rejects what it must (so a pass below means something)
rk=$(find "$I/release" -name kernel -type f 2>/dev/null | sort | head -1)
[ -n "$rk" ] || bail "a release kernel is built"
stripped "$rk" "$tmp/bare"
sbsign --key "$K/db.key" --cert "$K/db.crt" --output "$tmp/bare-db" "$tmp/bare" >/dev/null 2>&1
c=$(classify "$tmp/bare-db")
check "self-test: a db-signed bare kernel is rejected ($c)" quiet test "${c#BAD}" != "$c"
stripped "$I/stage1.efi" "$tmp/uki"
objcopy --remove-section=.initrd "$tmp/uki" "$tmp/uki-noinitrd" 2>/dev/null
sbsign --key "$K/db.key" --cert "$K/db.crt" --output "$tmp/uki-noinitrd-db" "$tmp/uki-noinitrd" >/dev/null 2>&1
c=$(classify "$tmp/uki-noinitrd-db")
check "self-test: a db-signed UKI without .initrd is rejected ($c)" quiet test "${c#BAD}" != "$c"
sbsign --key "$K/kexec.key" --cert "$K/kexec.crt" --output "$tmp/uki-kexec" "$tmp/uki" >/dev/null 2>&1
c=$(classify "$tmp/uki-kexec")
check "self-test: a kexec-signed UKI is rejected ($c)" quiet test "${c#BAD}" != "$c"

# ---- every PE file of the build
declare -A kinds=()
total=0
while IFS= read -r f; do
	is_pe "$f" || continue
	total=$((total + 1))
	c=$(classify "$f")
	kinds[${c%%:*}]=$(( ${kinds[${c%%:*}]:-0} + 1 ))
	case $c in
		BAD*) fail "${f#"$O"/}: ${c#BAD: }";;
		other) fail "${f#"$O"/}: signed by a key that is neither db nor kexec";;
		*) echo "# ${f#"$O"/}: $c";;
	esac
done < <(find "$O" \( -path "$O/stage1/ksrc" -o -path "$O/stage1/deb" -o -path "$O/stage1/kernel" \
	-o -path "$O/qemu" -o -path "$O/src" -o -path "$O/test-logs" -o -path "$O/fuzz-bin" \
	-o -path "$O/asan" -o -path "$O/fuzz" -o -path "$O/host" -o -path "$O/musl" \) -prune \
	-o -type f ! -name '*.tmp*' -print | sort)
summary=$(for k in "${!kinds[@]}"; do echo "$k ${kinds[$k]}"; done | sort | paste -sd, -)
check "$total PE files walked ($summary)" quiet test "$total" -ge 4
check "stage0.efi is Debian's iPXE signed with db" quiet test "$(classify "$I/stage0.efi")" = db-stage0
check "stage1.efi is a db-signed UKI" quiet test "$(classify "$I/stage1.efi")" = db-uki
for rk in "$I"/release/*/kernel; do
	check "${rk#"$I"/} is signed with the kexec key only" quiet test "$(classify "$rk")" = kexec-kernel
	check "${rk#"$I"/} has exactly one signature" quiet test "$(sbverify --list "$rk" 2>/dev/null | grep -c '^signature ')" = 1
done
check "stage1/vmlinuz (legacy-BIOS and enrollment kernel) carries no signature" quiet \
	test "$(classify "$I/stage1/vmlinuz")" = unsigned

# ---- the kexec key is not a Secure Boot key
kd=$(openssl x509 -in "$K/kexec.crt" -outform DER | od -An -tx1 -v | tr -d ' \n')
kp=$(openssl x509 -in "$K/kexec.crt" -noout -pubkey)
for v in PK KEK db; do
	for f in "$K/$v.crt" "$K/$v-prev.crt"; do
		[ -f "$f" ] || continue
		check "kexec certificate is not $(basename "$f")" quiet \
			test "$(openssl x509 -in "$f" -outform DER | od -An -tx1 -v | tr -d ' \n')" != "$kd"
		check "kexec key is not the key of $(basename "$f")" quiet \
			test "$(openssl x509 -in "$f" -noout -pubkey)" != "$kp"
	done
done
for f in "$K"/*.esl "$K"/*.auth; do
	[ -f "$f" ] || continue
	check "$(basename "$f") does not hold the kexec certificate" quiet \
		bash -c "! od -An -tx1 -v '$f' | tr -d ' \n' | grep -q '$kd'"
done

# ---- the stage1 kernel trusts exactly the kexec certificates
cfg=$O/stage1/kbuild/config
check "stage1/vmlinuz is the kernel built from source" quiet cmp "$O/stage1/kbuild/bzImage" "$I/stage1/vmlinuz"
check "stage1 kernel: built-in trusted keys are certs/epoxy-kexec-trust.pem" quiet \
	grep -qx 'CONFIG_SYSTEM_TRUSTED_KEYS="certs/epoxy-kexec-trust.pem"' "$cfg"
check "stage1 kernel was built with this kexec-trust.pem" quiet cmp "$O/stage1/kbuild/kexec-trust.pem" "$K/kexec-trust.pem"
check "kexec-trust.pem holds the kexec certificate" quiet \
	bash -c "openssl x509 -in '$K/kexec-trust.pem' -outform DER | cmp -s - '$K/kexec.der'"
check "kexec-trust.pem holds no db certificate" quiet bash -c "! grep -qFf <(sed '1d;\$d' '$K/db.crt') '$K/kexec-trust.pem'"
for s in INTEGRITY_PLATFORM_KEYRING LOAD_UEFI_KEYS SECONDARY_TRUSTED_KEYRING MODULES; do
	check "stage1 kernel: no CONFIG_$s" quiet bash -c "! grep -q '^CONFIG_$s=y' '$cfg'"
done
for s in KEXEC_SIG KEXEC_SIG_FORCE KEXEC_BZIMAGE_VERIFY_SIG LOCK_DOWN_IN_EFI_SECURE_BOOT; do
	check "stage1 kernel: CONFIG_$s=y" quiet grep -qx "CONFIG_$s=y" "$cfg"
done
done_testing
