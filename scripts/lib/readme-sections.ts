// The parts of the README that are generated from the code, each between two markers, so
// that a fact declared in the code is written once and the README cannot drift from it
// (`npm run docs` rewrites them; a test fails while the README differs).
import { ENVIRONMENT_FIELDS } from "../../config/schema";
import { fieldTable } from "../../config/field-docs";

export interface GeneratedSection {
  /** What the section shows, as its markers name it. */
  readonly name: string;
  /** Where it comes from, for the marker a reader sees before editing the table by hand. */
  readonly source: string;
  readonly render: () => string;
}

export const GENERATED_SECTIONS: readonly GeneratedSection[] = [
  {
    name: "environment fields",
    source: "config/schema.ts",
    render: () => fieldTable(ENVIRONMENT_FIELDS),
  },
];

const startMarker = (s: GeneratedSection) =>
  `<!-- ${s.name}: generated from ${s.source} by \`npm run docs\`; edit them there -->`;
const endMarker = (s: GeneratedSection) => `<!-- end of ${s.name} -->`;

/** A README whose markers are missing or out of order: the section cannot be placed. */
export class ReadmeSectionError extends Error {}

/** The README with every generated section rendered afresh; the rest is left as it is. */
export function refreshReadme(readme: string): string {
  let text = readme;
  for (const section of GENERATED_SECTIONS) {
    const start = text.indexOf(startMarker(section));
    const end = text.indexOf(endMarker(section));
    if (start < 0 || end < start) {
      throw new ReadmeSectionError(
        `README.md has no place for the ${section.name}: put the two lines\n${startMarker(section)}\n${endMarker(section)}\nwhere it belongs`,
      );
    }
    const head = text.slice(0, start + startMarker(section).length);
    text = `${head}\n${section.render()}\n${text.slice(end)}`;
  }
  return text;
}
