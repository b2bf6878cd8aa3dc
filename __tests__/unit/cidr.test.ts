import { canonicalCidr, cidrSubnet, isPrivate, overlaps, parseCidr } from "../../config/cidr";

describe("cidr helpers", () => {
  it("computes subnets like Terraform's cidrsubnet()", () => {
    // Examples from Terraform's documentation of cidrsubnet.
    expect(cidrSubnet("172.16.0.0/12", 4, 2)).toBe("172.18.0.0/16");
    expect(cidrSubnet("10.1.2.0/24", 4, 15)).toBe("10.1.2.240/28");
    expect(cidrSubnet("10.0.0.0/16", 4, 8)).toBe("10.0.128.0/20");
  });

  it("refuses a subnet number outside the block", () => {
    expect(() => cidrSubnet("10.0.0.0/16", 4, 16)).toThrow(RangeError);
    expect(() => cidrSubnet("10.0.0.0/30", 4, 0)).toThrow(RangeError);
  });

  it("parses strictly", () => {
    expect(parseCidr("10.0.0.0/16")).toEqual({ address: "10.0.0.0", prefix: 16 });
    for (const bad of ["10.0.0/16", "10.0.0.0", "10.0.0.256/24", "10.0.0.0/33", " 10.0.0.0/16", "0x0a.0.0.0/8"]) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });

  it("matches ranges exactly, not by text prefix", () => {
    const twilio = parseCidr("54.172.60.0/23")!;
    expect(overlaps(twilio, parseCidr("54.172.61.200/32")!)).toBe(true);
    // A regex like ^54\.172\. would admit this address; the /23 does not.
    expect(overlaps(twilio, parseCidr("54.172.99.1/32")!)).toBe(false);
  });

  it("knows private space and canonical forms", () => {
    expect(isPrivate(parseCidr("10.0.0.0/16")!)).toBe(true);
    expect(isPrivate(parseCidr("54.172.60.0/23")!)).toBe(false);
    expect(canonicalCidr(parseCidr("54.172.61.7/23")!)).toBe("54.172.60.0/23");
  });
});
