// The packages of Debian 13's official EC2 image beyond debootstrap's minbase, for the boot
// test's image root. PROVISIONAL: being checked against debian-cloud-images.
export const EC2_IMAGE_PACKAGES: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "udev",
  "cloud-init",
  "cloud-guest-utils",
  "curl",
  "ca-certificates",
  "iproute2",
  "procps",
  "openssh-server",
  "sudo",
  "less",
  "wget",
  "unattended-upgrades",
  "chrony",
  "ethtool",
  "nvme-cli",
];
