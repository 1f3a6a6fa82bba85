#!/bin/sh
# make check-image: builds the package (make deb) and the image with its
# checks (image/build.sh --check: the cached base, the fresh package),
# boots the image's kernel and initramfs under QEMU (TCG) on its disk, and
# folds the guest's PASS/FAIL/SKIP lines (image/check/guest.sh, written to
# the second serial port) into one status; a missing end marker or a
# kernel WARN/BUG/Oops/panic on the console fails the lane. Prints the
# figures (FIG) and "image: N passed, N failed, N skipped".
set -u
out=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
timeout=${TG_IMAGE_TIMEOUT:-600}
pass=0 fail=0 skip=0
finish()
{
	echo "image: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
	exit
}
if [ "$(id -u)" != 0 ]; then
	echo "SKIP image: needs root (image/build.sh)"
	skip=1
	finish
fi
for tool in mmdebstrap qemu-system-x86_64 sfdisk mke2fs dpkg-buildpackage flock; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP image: $tool not installed (scripts/deps.sh installs it)"
		skip=1
		finish
	fi
done

start=$(date +%s)
if ! make -s -C "$repo" OUTPUT="$out" deb >"$out/image-deb.log" 2>&1; then
	echo "FAIL image_deb: $(tail -n 3 "$out/image-deb.log")"
	fail=1
	finish
fi
t_deb=$(($(date +%s) - start))
if ! "$repo/image/build.sh" --build "$out" --check >"$out/image-build.log" 2>&1; then
	echo "FAIL image_build: $(tail -n 5 "$out/image-build.log")"
	fail=1
	finish
fi
cat "$out/image-build.log"
t_image=$(($(date +%s) - start - t_deb))
pass=$((pass + 1))
echo "PASS image_build"

img=$out/image-check
rm -f "$img/console.log" "$img/results.log"
echo "image: booting Linux $(cat "$img/kernel-version") under QEMU (TCG), waiting for the QEMU slot"
# One QEMU at a time on this machine (the lock); one vCPU: TCG with more
# than one thread saw stale code patched by another CPU (vm-tests/run.sh).
boot=$(date +%s)
flock /tmp/tg-qemu.lock sh -c 'date +%s >"$1/qemu.start"; shift; exec "$@"' sh "$img" \
	timeout "$timeout" qemu-system-x86_64 -accel tcg,thread=single -m 2048 -smp 1 \
	-nodefaults -display none -no-reboot -nic none \
	-serial "file:$img/console.log" -serial "file:$img/results.log" \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "$(cat "$img/cmdline") panic=-1 oops=panic" \
	-drive "file=$img/tenantguard.img,format=raw,if=virtio,snapshot=on" </dev/null >"$img/qemu.log" 2>&1
qrc=$?
end=$(date +%s)
qstart=$(cat "$img/qemu.start" 2>/dev/null || echo "$boot")
touch "$img/results.log" "$img/console.log"
tr -d '\r' <"$img/results.log" >"$img/results.txt"
tr -d '\r' <"$img/console.log" >"$img/console.txt"
grep -E '^(PASS|FAIL|SKIP) ' "$img/results.txt"
pass=$((pass + $(grep -c '^PASS ' "$img/results.txt")))
fail=$((fail + $(grep -c '^FAIL ' "$img/results.txt")))
skip=$((skip + $(grep -c '^SKIP ' "$img/results.txt")))
if ! grep -q '^TG-IMAGE-DONE' "$img/results.txt"; then
	echo "FAIL image_guest: did not finish (qemu exit $qrc after $((end - qstart)) s); last console lines:"
	tail -n 25 "$img/console.txt" | sed 's/^/    /'
	fail=$((fail + 1))
fi
if grep -nE 'WARNING:|BUG:|Kernel panic|Oops|Call Trace|general protection fault' "$img/console.txt" >"$img/splats"; then
	echo "FAIL image_kernel_log: kernel splat on the guest console:"
	head -n 20 "$img/splats" | sed 's/^/    /'
	fail=$((fail + 1))
fi
sed -n 's/^FIG /image: /p' "$img/results.txt"
echo "image: installed size $(dpkg-deb -f "$(ls "$out"/deb/tenantguard_*.deb | tail -n 1)" Installed-Size) KiB (package); disk $(du -m --apparent-size "$img/tenantguard.img" | cut -f1) MiB"
echo "image: times: deb ${t_deb} s, image ${t_image} s, waited for QEMU $((qstart - boot)) s, guest $((end - qstart)) s, lane $((end - start - (qstart - boot))) s without the wait"
finish
