/** The command-line entry: dispatches to one file per command. Node-only. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version') {
    console.log('0.1.0');
    return 0;
  }
  console.log('usage: fastweights <command>');
  return 0;
}
