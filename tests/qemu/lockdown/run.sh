#!/bin/bash
# run.sh WORKDIR KERNEL_DEB: the kexec-under-lockdown experiment of
# docs/kexec-lockdown.md, reproducible.  Scratch keys only (made in WORKDIR,
# never committed).  It enrolls our own PK/KEK/db into a fresh OVMF VARS via
# an efivarfs-writing boot in setup mode, then boots a UKI signed with our db
# key under Secure Boot; its initramfs probes kexec_file_load with the same
# Debian kernel signed four ways and finally kexecs the db-signed one.
# Output: WORKDIR/enroll.log, WORKDIR/probe.log (serial consoles).
set -euo pipefail
W=$1; DEB=$2
HERE=$(cd "$(dirname "$0")" && pwd)
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
GUID_GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
GUID_DB=d719b2cb-3d3a-4596-a3bc-dad00e67656f
OWNER=2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13
mkdir -p "$W"; cd "$W"
[ -d k ] || dpkg -x "$DEB" k
KVER=$(ls k/lib/modules); VMLINUZ=k/boot/vmlinuz-$KVER
MODS=k/lib/modules/$KVER/kernel

# ---- keys: PK, KEK, db (ours) and "other" (outside db)
mkdir -p keys
for n in PK KEK db other; do
  [ -f keys/$n.key ] || openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -subj "/CN=epoxy lockdown experiment $n/" -keyout keys/$n.key -out keys/$n.crt 2>/dev/null
done
for n in PK KEK db; do cert-to-efi-sig-list -g $OWNER keys/$n.crt keys/$n.esl; done
sign-efi-sig-list -k keys/PK.key -c keys/PK.crt PK keys/PK.esl keys/PK.auth >/dev/null
sign-efi-sig-list -k keys/PK.key -c keys/PK.crt KEK keys/KEK.esl keys/KEK.auth >/dev/null
sign-efi-sig-list -k keys/KEK.key -c keys/KEK.crt db keys/db.esl keys/db.auth >/dev/null

mkroot() { # dir: a BusyBox root
  rm -rf "$1"; mkdir -p "$1"/{bin,dev,proc,sys,mnt,tmp}
  cp /bin/busybox "$1"/bin/busybox
  for a in sh mount cat echo dd poweroff sleep insmod dmesg grep head ls printf sync uname; do
    ln -s busybox "$1/bin/$a"; done
}
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$2"; }

# ---- enrollment initramfs: writes db, KEK, PK through efivarfs, powers off
mkroot enroll-root
cp "$MODS/fs/efivarfs/efivarfs.ko" enroll-root/
for n in PK KEK db; do { printf '\x27\x00\x00\x00'; cat keys/$n.auth; } >enroll-root/$n.var; done
cat >enroll-root/init <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys
insmod /efivarfs.ko
mount -t efivarfs efivarfs /sys/firmware/efi/efivars
V=/sys/firmware/efi/efivars
dd if=/db.var of=\$V/db-$GUID_DB bs=65536 2>/dev/null && echo ENROLL db ok || echo ENROLL db FAILED
dd if=/KEK.var of=\$V/KEK-$GUID_GLOBAL bs=65536 2>/dev/null && echo ENROLL KEK ok || echo ENROLL KEK FAILED
dd if=/PK.var of=\$V/PK-$GUID_GLOBAL bs=65536 2>/dev/null && echo ENROLL PK ok || echo ENROLL PK FAILED
sync; poweroff -f
INIT
chmod +x enroll-root/init
mkcpio enroll-root enroll.cpio
cp "$OVMF_VARS" vars.fd
qemu() { # vars log args...
  local vars=$1 log=$2; shift 2
  timeout 300 qemu-system-x86_64 -accel tcg -machine q35,smm=on -m 1024 -nographic \
    -global driver=cfi.pflash01,property=secure,value=on \
    -drive "if=pflash,format=raw,unit=0,file=$OVMF_CODE,readonly=on" \
    -drive "if=pflash,format=raw,unit=1,file=$vars" \
    -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n \
    -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n \
    -net none -serial "file:$log" -monitor none "$@" || true
}
t0=$(date +%s.%N)
qemu vars.fd enroll.log -kernel "$VMLINUZ" -initrd enroll.cpio -append "console=ttyS0 quiet"
echo "enrollment boot: $(echo "$(date +%s.%N) - $t0" | bc) s"; grep ENROLL enroll.log

# ---- four variants of the same production kernel
cp "$VMLINUZ" vm-debian
cp "$VMLINUZ" vm-unsigned; sbattach --remove vm-unsigned >/dev/null
sbsign --key keys/db.key --cert keys/db.crt --output vm-db vm-unsigned 2>/dev/null
sbsign --key keys/other.key --cert keys/other.crt --output vm-other vm-unsigned 2>/dev/null
sbverify --list vm-debian | grep -c '^signature [0-9]' | sed 's/^/signatures on the Debian kernel: /'

# ---- the second kernel's initramfs: says it is up, powers off
mkroot second-root
mkdir -p second-root/sys/kernel/security
cat >second-root/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys; mount -t securityfs securityfs /sys/kernel/security
echo "SECOND KERNEL UP: $(cat /proc/cmdline)"
echo "SECOND LOCKDOWN: $(cat /sys/kernel/security/lockdown)"
poweroff -f
INIT
chmod +x second-root/init; mkcpio second-root second.cpio

# ---- probe initramfs, packed into a UKI signed with our db key
mkroot probe-root
mkdir -p probe-root/sys/kernel/security
musl-gcc -static -Os -Wall -Wextra -Werror -o probe-root/kexec-probe "$HERE/kexec-probe.c"
strip probe-root/kexec-probe
cp vm-debian vm-unsigned vm-db vm-other second.cpio probe-root/
cat >probe-root/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t securityfs securityfs /sys/kernel/security
echo "LOCKDOWN: $(cat /sys/kernel/security/lockdown)"
dmesg | grep -iE 'secure ?boot|lockdown|platform keyring|Loaded X.509|integrity:' | sed 's/^/DMESG: /'
C="console=ttyS0 epoxy.probe=second"
/kexec-probe unsigned /vm-unsigned /second.cpio "$C"
/kexec-probe other-key /vm-other /second.cpio "$C"
/kexec-probe debian-signed /vm-debian /second.cpio "$C"
/kexec-probe db-signed /vm-db /second.cpio "$C" --exec
echo "PROBE: not reached"; poweroff -f
INIT
chmod +x probe-root/init; mkcpio probe-root probe.cpio
echo "console=ttyS0" >cmdline.txt
echo "ID=epoxy-lockdown-probe" >osrel.txt
objcopy --add-section .osrel=osrel.txt --change-section-vma .osrel=0x20000 \
  --add-section .cmdline=cmdline.txt --change-section-vma .cmdline=0x30000 \
  --add-section .linux="$VMLINUZ" --change-section-vma .linux=0x2000000 \
  --add-section .initrd=probe.cpio --change-section-vma .initrd=0x3000000 \
  "$STUB" probe-uki.unsigned.efi
sbsign --key keys/db.key --cert keys/db.crt --output probe-uki.efi probe-uki.unsigned.efi 2>/dev/null
rm -rf esp; mkdir -p esp/EFI/BOOT; cp probe-uki.efi esp/EFI/BOOT/BOOTX64.EFI
cp vars.fd vars-run.fd
t0=$(date +%s.%N)
qemu vars-run.fd probe.log -drive if=none,id=esp,format=raw,file=fat:esp,readonly=on -device virtio-blk-pci,drive=esp,bootindex=1
echo "probe boot: $(echo "$(date +%s.%N) - $t0" | bc) s"
grep -aE 'LOCKDOWN|DMESG|KEXEC-PROBE|SECOND |PROBE|Access Denied|kexec' probe.log
