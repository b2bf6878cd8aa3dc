// The network picture of one environment as SVG, laid out by hand for a fixed left-to-right
// flow: source Twilio | dial these | proxies | whitelist these | destination Twilio, one lane
// per availability zone, a legend and notes below. No renderer is needed to produce it, and
// the same model always gives the same bytes.
//
// Readability at the README's width is designed in, not hoped for: GitHub shows images at
// most README_WIDTH px wide, so every label's font size times README_WIDTH / the picture's
// width must be at least MIN_LABEL_PX. Text is measured with DejaVu Sans's advance widths,
// wider than Helvetica and Arial, so a line that fits here fits with the fonts viewers have.
import type { NetworkModel, PictureAddress, ProxyZone } from "./network-model";

/** GitHub's content width: an image wider than this is scaled down to it. */
export const README_WIDTH = 880;
/** The smallest label height (font size, px) allowed at README_WIDTH. */
export const MIN_LABEL_PX = 10;

const FONT = 13;
const TITLE_FONT = 17;
const LINE = 17;
const PAD = 8;

// DejaVu Sans advance widths, per 1000 em, for U+0020..U+007E (regular, then bold).
const REGULAR = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636,
  636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863,
  748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635,
  615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636,
  337, 636, 838,
];
const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696,
  696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995,
  837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716,
  678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712,
  365, 712, 838,
];
const OTHER: Readonly<Record<string, number>> = {
  "\u00a0": 348,
  "·": 380,
  "‹": 412,
  "›": 412,
  "→": 838,
  "…": 1000,
  "–": 500,
};

/** Width of a line of text in px, in DejaVu Sans (unknown characters count as 1 em). */
export function textWidth(text: string, size = FONT, bold = false): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    em += code >= 32 && code < 127 ? (bold ? BOLD : REGULAR)[code - 32] : (OTHER[ch] ?? 1000);
  }
  return (em / 1000) * size;
}

/**
 * Lines of at most `width` px: words by spaces; a word too long for a line (a URI, a host name)
 * is broken after its `@`, then after a dot, `/` or `-`.
 */
export function wrap(text: string, width: number, bold = false, size = FONT): string[] {
  const pieces = text.split(" ").flatMap((word) => {
    if (textWidth(word, size, bold) <= width) return [word];
    // After an `@` first (user and host apart), then inside a part that is still too long.
    const parts = word
      .split(/(?<=@)/)
      .flatMap((part) => (textWidth(part, size, bold) <= width ? [part] : part.split(/(?<=[.@/-])/)));
    const out: string[][] = [];
    for (const part of parts) {
      const last = out[out.length - 1];
      if (last && textWidth([...last, part].join(""), size, bold) <= width) last.push(part);
      else out.push([part]);
    }
    // No orphan: a short last piece ("com") takes the part before it along, when that fits.
    const [before, tail] = out.slice(-2);
    if (tail && before.length > 1 && textWidth(tail.join(""), size, bold) < width / 3) {
      const moved = [before[before.length - 1], ...tail];
      if (textWidth(moved.join(""), size, bold) <= width) out.splice(-2, 2, before.slice(0, -1), moved);
    }
    // Glued back without a space when lines are joined: marked with a leading NUL.
    return out.map((p, i) => (i === 0 ? p.join("") : `\u0000${p.join("")}`));
  });
  const lines: string[] = [];
  for (const piece of pieces) {
    const glued = piece.startsWith("\u0000");
    const word = glued ? piece.slice(1) : piece;
    const last = lines.length - 1;
    const candidate = last < 0 ? undefined : glued ? lines[last] + word : `${lines[last]} ${word}`;
    if (candidate !== undefined && textWidth(candidate, size, bold) <= width) lines[last] = candidate;
    else lines.push(word);
  }
  return lines;
}

interface Line {
  readonly text: string;
  readonly bold?: boolean;
  readonly colour?: string;
}

const COLOURS = {
  text: "#212529",
  dial: { fill: "#fff0db", stroke: "#d9480f", text: "#b33c0a" },
  whitelist: { fill: "#dbeafe", stroke: "#1d4ed8", text: "#1d4ed8" },
  proxy: { fill: "#f3f0ff", stroke: "#6741d9" },
  twilio: { fill: "#fff1f2", stroke: "#e11d48" },
  frame: "#868e96",
  vpc: "#f8f9fa",
  arrow: "#343a40",
};

const num = (n: number) => String(Math.round(n * 10) / 10);
const esc = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\u00a0/g, "&#160;");

/** A URI that never breaks inside a symbolic address (`‹NLB EIP us-east-1a›`). */
const symbolicUri = (uri: string) => uri.replace(/‹[^›]*›/g, (label) => label.replace(/ /g, "\u00a0"));

/** Lines wrapped to a width: each input line may become several. */
const fit = (lines: readonly Line[], width: number): Line[] =>
  lines.flatMap((l) => wrap(l.text, width, l.bold).map((text) => ({ ...l, text })));

const blockHeight = (lines: readonly Line[]) => lines.length * LINE + 2 * PAD - 4;

function texts(lines: readonly Line[], x: number, top: number): string[] {
  return lines.map(
    (l, i) =>
      `<text x="${num(x)}" y="${num(top + PAD + 9 + i * LINE)}" font-size="${FONT}"${l.bold ? ' font-weight="bold"' : ""} fill="${l.colour ?? COLOURS.text}">${esc(l.text)}</text>`,
  );
}

type Shape = "dial" | "whitelist" | "proxy" | "twilio";

/** Dial addresses are rounded pills, whitelist addresses tags with cut corners. */
function shape(kind: Shape, x: number, y: number, w: number, h: number): string {
  if (kind === "whitelist") {
    const c = 10;
    const points = [
      [x + c, y],
      [x + w - c, y],
      [x + w, y + c],
      [x + w, y + h - c],
      [x + w - c, y + h],
      [x + c, y + h],
      [x, y + h - c],
      [x, y + c],
    ];
    return `<polygon points="${points.map(([a, b]) => `${num(a)},${num(b)}`).join(" ")}" fill="${COLOURS.whitelist.fill}" stroke="${COLOURS.whitelist.stroke}" stroke-width="2.5"/>`;
  }
  const style = {
    dial: { rx: 16, width: 2.5, ...COLOURS.dial },
    proxy: { rx: 3, width: 1.5, ...COLOURS.proxy },
    twilio: { rx: 10, width: 2, ...COLOURS.twilio },
  }[kind];
  return `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" rx="${style.rx}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="${style.width}"/>`;
}

const frame = (x: number, y: number, w: number, h: number, fill = "none") =>
  `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" rx="8" fill="${fill}" stroke="${COLOURS.frame}" stroke-width="1.5" stroke-dasharray="6 4"/>`;

const arrow = (points: readonly (readonly [number, number])[]) =>
  `<polyline points="${points.map(([a, b]) => `${num(a)},${num(b)}`).join(" ")}" fill="none" stroke="${COLOURS.arrow}" stroke-width="2" marker-end="url(#call)"/>`;

// Columns, left to right (px in the picture's own coordinates).
const MARGIN = 12;
const ARROW_GAP = 30;
const FRAME_PAD = 10;
const SOURCE_W = 200;
const COLUMN_W = 180;
const DEST_W = 176;
const X = (() => {
  const source = MARGIN;
  const vpc = source + SOURCE_W + ARROW_GAP;
  const dial = vpc + FRAME_PAD;
  const proxy = dial + COLUMN_W + ARROW_GAP;
  const whitelist = proxy + COLUMN_W + ARROW_GAP;
  const vpcRight = whitelist + COLUMN_W + FRAME_PAD;
  const dest = vpcRight + ARROW_GAP;
  return { source, vpc, dial, proxy, whitelist, vpcRight, dest, width: dest + DEST_W + MARGIN };
})();

const INNER = COLUMN_W - 2 * PAD;

function addressLines(a: PictureAddress, role: "dial" | "whitelist", sameAsDial = false): Line[] {
  const colour = COLOURS[role].text;
  return [
    { text: a.label, bold: true },
    role === "dial"
      ? { text: "dial this", bold: true, colour }
      : { text: sameAsDial ? "whitelist this (the same address)" : "whitelist this", bold: true, colour },
    ...(a.output ? [{ text: `output\u00a0${a.output}` }] : []),
  ];
}

/** Only `s` after a count other than one. */
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The network picture of one environment, as an SVG document. */
export function networkSvg(m: NetworkModel): string {
  const lb = m.loadBalancer !== undefined;
  const single = !m.proxies.group;
  const zones = [...new Set([...m.dial, ...m.proxies.zones, ...m.whitelist].map((z) => z.zone))].sort();

  // Column headers and the frames' own headers, wrapped to the column.
  const head = {
    dial: fit(
      lb
        ? [
            { text: "Load balancer (NLB)", bold: true },
            { text: m.listeners.join(", ") },
            ...(m.loadBalancer!.sourceIpStickiness ? [{ text: "source-IP sticky" }] : []),
            ...(m.dial.length > 1 ? [{ text: `cross-zone ${m.loadBalancer!.crossZone ? "on" : "off"}` }] : []),
          ]
        : [{ text: "Instance's Elastic IP", bold: true }, { text: m.listeners.join(", ") }],
      INNER,
    ),
    proxy: fit(
      m.proxies.group
        ? [
            { text: "Auto Scaling group", bold: true },
            { text: `Kamailio on ${m.proxies.instanceType}` },
            { text: `${m.proxies.min}..${m.proxies.max} instances, desired\u00a0${m.proxies.desired}` },
          ]
        : [{ text: "EC2 instance", bold: true }, { text: `Kamailio on ${m.proxies.instanceType}` }],
      INNER,
    ),
    whitelist: fit(
      [
        single
          ? { text: "The same Elastic IP", bold: true }
          : { text: m.whitelist.length === 1 ? "NAT gateway" : "NAT gateways", bold: true },
        { text: single ? "calls leave from the instance's own address" : "calls leave through their zone's route" },
        ...(m.aclOutput ? [{ text: `IP ACL entries: output\u00a0${m.aclOutput}` }] : []),
      ],
      INNER,
    ),
  };
  const headHeight = Math.max(...Object.values(head).map(blockHeight));

  // One lane per zone: the boxes of each column in it.
  const lane = new Map(
    zones.map((zone) => {
      const dial = m.dial.find((a) => a.zone === zone);
      const proxy = m.proxies.zones.find((p) => p.zone === zone);
      const wl = m.whitelist.find((a) => a.zone === zone);
      return [
        zone,
        {
          dial: dial && fit(addressLines(dial, "dial"), INNER),
          proxy:
            proxy &&
            fit(
              [{ text: `Kamailio ${zone}`, bold: true }, { text: `${proxy.tier} subnet` }, { text: proxy.cidr }],
              INNER,
            ),
          whitelist: wl && fit(addressLines(wl, "whitelist", single), INNER),
          dialAddress: dial,
          proxyZone: proxy,
          whitelistAddress: wl,
        },
      ];
    }),
  );
  const boxHeight = Math.max(
    ...[...lane.values()].flatMap((l) => [l.dial, l.proxy, l.whitelist].filter((b) => b).map((b) => blockHeight(b!))),
  );
  const LANE_GAP = 14;

  // The two Twilio ends.
  const sourceLines = fit(
    [
      { text: "Source Twilio", bold: true },
      { text: "the number's TwiML <Dial><Sip> sends the INVITE to" },
      { text: symbolicUri(m.source.dials), colour: COLOURS.dial.text },
      ...(m.dnsName ? [{ text: "(the name resolves to every dial address)" }] : []),
      {
        text: `from Twilio's ${plural(m.source.twilioEdges, "signaling edge")}${m.source.addedRanges > 0 ? ` and ${plural(m.source.addedRanges, "added range")}` : ""}`,
      },
      {
        text:
          m.source.accounts === "any"
            ? "any Twilio account admitted"
            : `${plural(m.source.accounts, "account")} admitted (X-Twilio-AccountSid)${m.source.placeholderAccount ? ": still the placeholder SID" : ""}`,
      },
      ...(m.source.digestAuth ? [{ text: "and digest authentication" }] : []),
    ],
    SOURCE_W - 2 * PAD,
  );
  const hosts = m.destination.hosts;
  const destLines = fit(
    [
      { text: "Destination Twilio", bold: true },
      { text: `SIP domain ${m.destination.domain}` },
      { text: `receives the INVITE over ${m.destination.transport} at` },
      { text: `${hosts.join(", then ")}${hosts.length > 1 ? " (failover order)" : ""}` },
      {
        text: "and admits it only from an address on its IP access control list",
        colour: COLOURS.whitelist.text,
        bold: true,
      },
    ],
    DEST_W - 2 * PAD,
  );

  // Vertical layout.
  const title = `${m.stackName}: ${m.architecture}, ${m.region}`;
  const subtitle = fit(
    [
      {
        text: "One call, left to right, through the resources the stack creates. Drawn from the synthesized stack by npm run diagram.",
      },
    ],
    X.width - 2 * MARGIN,
  );
  const titleY = 30;
  const vpcTop = titleY + 14 + subtitle.length * LINE + 6;
  const headerY = vpcTop + 40; // column headers' baseline
  const groupTop = headerY + 10;
  const lanesHeight = zones.length * boxHeight + (zones.length - 1) * LANE_GAP;
  const twilioTop = headerY - 14;
  const twilioHeight = Math.max(
    blockHeight(sourceLines),
    blockHeight(destLines),
    groupTop + headHeight + 6 + lanesHeight + 10 - twilioTop,
  );
  const groupBottom = twilioTop + twilioHeight - 12;
  // Lanes sit in the middle of the room the headers leave, level with the Twilio boxes' middle.
  const lanesTop = groupTop + headHeight + 6 + (groupBottom - 10 - (groupTop + headHeight + 6) - lanesHeight) / 2;
  const vpcBottom = groupBottom + FRAME_PAD;
  const laneY = (zone: string) => lanesTop + zones.indexOf(zone) * (boxHeight + LANE_GAP);
  const laneMid = (zone: string) => laneY(zone) + boxHeight / 2;

  const out: string[] = [];
  out.push(frame(X.vpc, vpcTop, X.vpcRight - X.vpc, vpcBottom - vpcTop, COLOURS.vpc));
  out.push(
    `<text x="${X.vpc + FRAME_PAD}" y="${vpcTop + 20}" font-size="${FONT}" font-weight="bold" fill="${COLOURS.text}">${esc(`AWS ${m.region} · VPC ${m.vpcCidr} · one lane per availability zone`)}</text>`,
  );
  const columnHeader = (x: number, text: string, colour: string) =>
    `<text x="${x}" y="${headerY}" font-size="${FONT}" font-weight="bold" fill="${colour}">${esc(text)}</text>`;
  out.push(columnHeader(X.dial, "DIAL THESE", COLOURS.dial.text));
  out.push(columnHeader(X.proxy, "PROXIES", COLOURS.proxy.stroke));
  out.push(columnHeader(X.whitelist, "WHITELIST THESE", COLOURS.whitelist.text));
  for (const [x, lines] of [
    [X.dial, head.dial],
    [X.proxy, head.proxy],
    [X.whitelist, head.whitelist],
  ] as const) {
    out.push(frame(x - 6, groupTop, COLUMN_W + 12, groupBottom - groupTop));
    out.push(...texts(lines, x, groupTop - 2));
  }

  // Twilio boxes.
  out.push(`<g data-role="source">`, shape("twilio", X.source, twilioTop, SOURCE_W, twilioHeight));
  out.push(...texts(sourceLines, X.source + PAD, twilioTop), `</g>`);
  out.push(`<g data-role="destination">`, shape("twilio", X.dest, twilioTop, DEST_W, twilioHeight));
  out.push(...texts(destLines, X.dest + PAD, twilioTop), `</g>`);

  // Lanes: boxes, then the call's arrows.
  const box = (kind: Shape, x: number, zone: string, lines: readonly Line[], address?: PictureAddress) => {
    const y = laneY(zone);
    const tag = address
      ? `<g data-resource="${address.resource}" data-role="${kind}"><title>${esc(`${address.resource}: ${address.label} (${kind === "dial" ? "dial this" : "whitelist at destination"})`)}</title>`
      : `<g data-role="${kind}">`;
    out.push(tag, shape(kind, x, y, COLUMN_W, boxHeight), ...texts(lines, x + PAD, y), "</g>");
  };
  const arrows: string[] = [];
  for (const zone of zones) {
    const l = lane.get(zone)!;
    const mid = laneMid(zone);
    if (l.dial) {
      box("dial", X.dial, zone, l.dial, l.dialAddress);
      arrows.push(
        arrow([
          [X.source + SOURCE_W, mid],
          [X.dial - 3, mid],
        ]),
      );
    }
    if (l.proxy) {
      box("proxy", X.proxy, zone, l.proxy);
      if (l.dial)
        arrows.push(
          arrow([
            [X.dial + COLUMN_W, mid],
            [X.proxy - 3, mid],
          ]),
        );
      const egress = m.whitelist.find((a) => a.resource === `aws_eip.${(l.proxyZone as ProxyZone).egress}`)!;
      const to = laneMid(egress.zone);
      const bend = X.proxy + COLUMN_W + ARROW_GAP / 2;
      arrows.push(
        arrow(
          to === mid
            ? [
                [X.proxy + COLUMN_W, mid],
                [X.whitelist - 3, mid],
              ]
            : [
                [X.proxy + COLUMN_W, mid],
                [bend, mid],
                [bend, to + 10 * Math.sign(mid - to)],
                [X.whitelist - 3, to + 10 * Math.sign(mid - to)],
              ],
        ),
      );
    }
    if (l.whitelist) {
      box("whitelist", X.whitelist, zone, l.whitelist, l.whitelistAddress);
      arrows.push(
        arrow([
          [X.whitelist + COLUMN_W, mid],
          [X.dest - 3, mid],
        ]),
      );
    }
  }
  out.push(...arrows);

  // Legend.
  const legendTop = vpcBottom + 16;
  const legend: string[] = [
    `<text x="${MARGIN}" y="${legendTop + 14}" font-size="${FONT}" font-weight="bold" fill="${COLOURS.text}">Legend</text>`,
  ];
  const items: { draw: (x: number, y: number) => string; text: string }[] = [
    { draw: (x, y) => shape("dial", x, y, 40, 22), text: "dial these: Twilio sends calls here" },
    { draw: (x, y) => shape("whitelist", x, y, 40, 22), text: "whitelist these: the destination's IP ACL" },
    { draw: (x, y) => shape("proxy", x, y, 40, 22), text: "Kamailio proxies" },
    { draw: (x, y) => shape("twilio", x, y, 40, 22), text: "Twilio" },
    {
      draw: (x, y) =>
        arrow([
          [x, y + 11],
          [x + 37, y + 11],
        ]),
      text: "a call (INVITE), in its direction",
    },
    { draw: (x, y) => frame(x, y, 40, 22), text: "AWS grouping" },
  ];
  let lx = MARGIN + 64;
  let ly = legendTop;
  for (const item of items) {
    const w = 40 + 8 + textWidth(item.text) + 22;
    if (lx + w > X.width - MARGIN) {
      lx = MARGIN + 64;
      ly += 30;
    }
    legend.push(
      item.draw(lx, ly),
      `<text x="${num(lx + 48)}" y="${num(ly + 16)}" font-size="${FONT}" fill="${COLOURS.text}">${esc(item.text)}</text>`,
    );
    lx += w;
  }

  // Notes: what the arrows do not show.
  const notes = fit(
    [
      {
        text: `Addresses are symbolic: synth has none. After a deploy, npx cdktf output ${m.stackName} prints each one (the output named in its box).`,
      },
      {
        text: single
          ? "One Elastic IP does both jobs: Twilio dials it, and the destination sees calls come from it."
          : "Calls leave through NAT: the destination never sees an NLB address, so never whitelist one.",
      },
      {
        text: "Replies retrace the request's path; in-call requests (ACK, BYE) from either side come to the dial address (Record-Route). Media (RTP) flows between the two Twilio accounts, never through the proxy.",
      },
    ],
    X.width - 2 * MARGIN,
  );
  const notesTop = ly + 32;
  const height = notesTop + blockHeight(notes) + 6;

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${X.width}" height="${num(height)}" viewBox="0 0 ${X.width} ${num(height)}" font-family="DejaVu Sans, Verdana, Helvetica, Arial, sans-serif">`,
    `<title>${esc(`${title}: network picture`)}</title>`,
    `<defs><marker id="call" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLOURS.arrow}"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${titleY}" font-size="${TITLE_FONT}" font-weight="bold" fill="${COLOURS.text}">${esc(title)}</text>`,
    ...texts(subtitle, MARGIN, titleY + 2),
    ...out,
    ...legend,
    ...texts(notes, MARGIN, notesTop - PAD),
    `</svg>`,
    "",
  ].join("\n");
}
