// The packages of Debian 13's official EC2 image beyond debootstrap's minbase, for the boot
// test's image root. From debian-cloud-images (salsa.debian.org/cloud-team), config_space/13/
// package_config: the classes an amd64 EC2 image is built from (image.yaml), installed without
// Recommends as its `install-norec` does. Left out: the kernel, grub and dosfstools (a chroot
// boots nothing) and cloud-initramfs-growroot (it rebuilds an initramfs the chroot lacks).
const SYSTEM_BOOT = [
  "sudo",
  "e2fsprogs",
  "libpam-systemd",
  "systemd-resolved",
  "libnss-resolve",
  "libnss-myhostname",
  "netplan.io",
  "polkitd",
  "unattended-upgrades",
  "apparmor",
  "zstd",
  "apt-utils",
  "init",
  "iptables",
  "iputils-ping",
  "linux-sysctl-defaults",
  "less",
  "nano",
  "netbase",
  "vim-tiny",
  "whiptail",
];
const TIME_SYSTEMD = ["systemd-timesyncd"];
const CLOUD = ["openssh-server", "ssh-import-id"];
const EC2 = ["awscli", "cloud-init", "cloud-guest-utils", "amazon-ec2-utils"];
const EXTRAS = [
  "apt-listchanges",
  "bash-completion",
  "bind9-host",
  "man-db",
  "manpages",
  "socat",
  "pciutils",
  "reportbug",
  "traceroute",
  "vim",
  "psmisc",
  "tcpdump",
  "ca-certificates",
  "curl",
  "ethtool",
  "uuid-runtime",
  "screen",
  "xz-utils",
];

export const EC2_IMAGE_PACKAGES: readonly string[] = [
  ...new Set([...SYSTEM_BOOT, ...TIME_SYSTEMD, ...CLOUD, ...EC2, ...EXTRAS]),
];
