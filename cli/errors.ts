// Exit codes and the one error type the CLI reports. Commands throw CliError for anything the
// user must fix before a diagnosis can run (bad flags, unknown pod, unreachable API server);
// findings about the cluster are results, not errors.

/** 0 healthy, 1 a problem was found, 2 usage or connection error (kubectl's convention too). */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    /** Printed after the message: what to try next. */
    readonly hint?: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
  }
}

/** Bad command line: the help text of the command is worth showing. */
export class UsageError extends CliError {
  constructor(message: string, readonly command?: string) {
    super(message, `run 'podid ${command === undefined ? "" : `${command} `}--help' for usage`);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
