// A node:test reporter that ends the run with one pytest-style line, "N passed, N failed,
// N skipped in S s", which scripts/test_matrix.py reads to count this env's tests (and to fail CI
// on a skipped one, as for every pytest env).
export default async function* summary(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const started = performance.now();
  for await (const event of source) {
    if (event.data?.details?.type === "suite") continue;
    if (event.type === "test:pass") {
      if (event.data.skip || event.data.todo) counts.skipped += 1;
      else counts.passed += 1;
    } else if (event.type === "test:fail") {
      counts.failed += 1;
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  yield `\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${seconds}s\n`;
}
