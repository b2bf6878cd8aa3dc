// IPv4 CIDR helpers over ipaddr.js. Parsing and range tests come from the library;
// the only arithmetic here is Terraform's cidrsubnet(), so subnet CIDRs are literal
// strings in the synthesized JSON (readable in `cdktf diff`) instead of expressions.
import ipaddr from "ipaddr.js";

export interface Ipv4Cidr {
  readonly address: string;
  readonly prefix: number;
}

/** Parses "a.b.c.d/n" strictly (four decimal parts, prefix 0..32); undefined if invalid. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!match || !ipaddr.IPv4.isValidFourPartDecimal(match[1])) return undefined;
  const prefix = Number(match[2]);
  if (prefix > 32) return undefined;
  return { address: match[1], prefix };
}

/** The CIDR with host bits cleared, e.g. 54.172.61.0/23 -> 54.172.60.0/23. */
export function canonicalCidr(cidr: Ipv4Cidr): string {
  const network = ipaddr.IPv4.networkAddressFromCIDR(`${cidr.address}/${cidr.prefix}`);
  return `${network.toString()}/${cidr.prefix}`;
}

export function isCanonical(cidr: Ipv4Cidr): boolean {
  return canonicalCidr(cidr) === `${cidr.address}/${cidr.prefix}`;
}

/** True when the address block lies in RFC 1918 private space. */
export function isPrivate(cidr: Ipv4Cidr): boolean {
  return ipaddr.IPv4.parse(cidr.address).range() === "private";
}

/** True when the two blocks share at least one address. */
export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const shorter = a.prefix <= b.prefix ? a : b;
  const longer = shorter === a ? b : a;
  return ipaddr.IPv4.parse(longer.address).match(ipaddr.IPv4.parse(shorter.address), shorter.prefix);
}

function toInt(address: string): number {
  return ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((acc, byte) => acc * 256 + byte, 0);
}

function fromInt(value: number): string {
  const bytes = [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256);
  return ipaddr.fromByteArray(bytes).toString();
}

/**
 * Same contract as Terraform's cidrsubnet(prefix, newbits, netnum): the netnum-th block
 * of size /(prefix+newbits) inside `base`.
 */
export function cidrSubnet(base: string, newBits: number, netNum: number): string {
  const parsed = parseCidr(base);
  if (!parsed) throw new RangeError(`not an IPv4 CIDR: ${base}`);
  const prefix = parsed.prefix + newBits;
  if (prefix > 32) throw new RangeError(`${base} has no room for ${newBits} more bits`);
  if (netNum < 0 || netNum >= 2 ** newBits) {
    throw new RangeError(`${base} has ${2 ** newBits} subnets of /${prefix}, not ${netNum + 1}`);
  }
  const start = toInt(ipaddr.IPv4.networkAddressFromCIDR(base).toString()) + netNum * 2 ** (32 - prefix);
  return `${fromInt(start)}/${prefix}`;
}
