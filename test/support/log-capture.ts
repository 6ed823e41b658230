/**
 * A pino destination that keeps every line a server writes, so a test can read the logs
 * (startServer's `logDestination`).
 */
export class LogCapture {
  private readonly chunks: string[] = [];

  write(line: string): void {
    this.chunks.push(line);
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** Every line parsed as JSON (pino writes one object per line). */
  get entries(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The strings of `secrets` that occur anywhere in the captured output. */
  leaked(secrets: readonly string[]): string[] {
    const text = this.text;
    return secrets.filter((secret) => text.includes(secret));
  }
}
