/** The ```js and ```ts blocks of a markdown file, with the line of each opening fence. */
export function codeBlocks(text: string): { lang: 'js' | 'ts'; code: string; line: number }[];
/** The documents whose examples are checked: README.md and docs/*.md. */
export function documents(): string[];
