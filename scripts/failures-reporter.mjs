// A second test reporter for `npm test`: after the TAP stream, repeat every failed test with its
// file, its name and its error, so that a failure in a long CI log is found at its end.
export default async function* failuresReporter(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== "test:fail") continue;
    const { name, file, details, nesting } = event.data;
    const error = details?.error;
    // A suite fails when one of its tests does; the test itself is the line that matters.
    if (error?.failureType === "subtestsFailed") continue;
    const cause = error?.cause ?? error;
    const message = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
    failures.push(`✖ ${file ?? "?"} (depth ${nesting})\n  ${name}\n  ${message.split("\n").slice(0, 12).join("\n  ")}`);
  }
  if (failures.length === 0) return;
  yield `\n== ${failures.length} failed test(s)\n`;
  for (const failure of failures) yield `${failure}\n\n`;
}
