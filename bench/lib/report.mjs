// The readable half of the bench output: one table of MB/s (10^6 bytes of uncompressed data per
// second, best of the runs) with ratios to the native reference measured in the same run, then
// peak memory on the 1 GiB layer.

const TAR_OF = { 'tar': 'tar', 'gz': 'tar', 'zst': 'tar', 'gz-members': 'tar', 'zst-frames': 'tar', 'tar-64m': 'tar-64m', 'tar-1g': 'tar-1g', 'gz-1g': 'tar-1g' };
const MiB = 1 << 20;

const mbps = (r) => (r && !r.error && r.ms ? r.bytes / 1e6 / (r.ms / 1000) : undefined);
const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));

/** 'ok', or what is wrong: a decode that lost bytes or a digest that differs from the tar's. */
export function verdict(row, inputs) {
  if (row.error) return `ERROR ${row.error.split('\n')[0].slice(0, 60)}`;
  const tar = inputs[TAR_OF[row.input]];
  if (tar && row.bytes !== tar.size) return `✗ ${row.bytes} bytes, want ${tar.size}`;
  if (typeof row.check === 'string' && row.check.startsWith('sha256:') && tar?.sha256 && row.check !== tar.sha256) return '✗ digest';
  return 'ok';
}

export function printReport(report) {
  const { inputs, native } = report;
  const byName = new Map();
  for (const r of [...report.node, ...report.chromium]) {
    const e = byName.get(r.name) ?? { name: r.name, input: r.input, reference: r.reference };
    e[r.runtime] = r;
    byName.set(r.name, e);
  }
  const head = ['case', 'input', 'Node', 'Chromium', 'native reference', 'ref', 'Node/ref', 'Chr/ref', 'check'];
  const rows = [...byName.values()].map((e) => {
    const ref = native[e.reference];
    const n = mbps(e.node);
    const c = mbps(e.chromium);
    const checks = [e.node, e.chromium].filter(Boolean).map((r) => verdict(r, inputs));
    return [e.name, e.input, fmt(n), fmt(c), e.reference ?? '', fmt(ref?.mbps), ref && n ? fmt(n / ref.mbps, 2) : '–', ref && c ? fmt(c / ref.mbps, 2) : '–',
      checks.every((x) => x === 'ok') ? 'ok' : checks.filter((x) => x !== 'ok').join('; ')];
  });
  const natRows = Object.entries(native).map(([k, v]) => [`native: ${k}`, '', '', '', v.cmd.replace(/'[^']*\/([^/']+)'/g, '$1'), fmt(v.mbps), '', '', '']);
  console.log(`\nlayerlab bench ${report.started}  (${report.machine.cpus} CPUs, Node ${report.machine.node}, Chromium ${report.chromiumVersion ?? '–'}; ` +
    `load average ${report.machine.loadavg.map((l) => l[0].toFixed(1)).join(' → ')})`);
  console.log('MB/s = 10^6 bytes of uncompressed data per second, best of the runs; ratios against the native CLI measured in this run.\n');
  table(head, [...rows, ...natRows]);

  const m = report.memory;
  const mems = [...[m.node ?? []].flat(), ...[m.chromium ?? []].flat()];
  if (mems.length) {
    console.log(`\nPeak memory, each case alone (${fmt(inputs['gz'].size / MiB)} / ${fmt(inputs['gz-1g'].size / MiB)} MiB gzip layers of ${fmt(inputs['tar'].size / MiB)} / ${fmt(inputs['tar-1g'].size / MiB)} MiB):`);
    const memRows = mems.map((r) => {
      const x = r.memory ?? {};
      const where = r.runtime === 'node' ? 'Node (process)' : `Chromium (renderer ×${x.renderers})`;
      const note = r.runtime === 'node' ? `arrayBuffers peak ${fmt(x.peakArrayBuffers / MiB)} MiB`
        : r.jsHeapAfter ? `JS heap ${fmt(r.jsHeapAfter / MiB)} MiB` : 'performance.memory n/a in worker';
      return [r.name, where, fmt(mbps(r)), fmt(x.baseRss / MiB), fmt(x.peakRss / MiB), fmt((x.peakRss - x.baseRss) / MiB), fmt(x.vmHwm / MiB), note, verdict(r, inputs)];
    });
    table(['case', 'runtime', 'MB/s', 'RSS before', 'RSS peak', 'Δ MiB', 'VmHWM', 'note', 'check'], memRows);
    const ref = native['tar -tzf 1g'];
    if (ref) console.log(`native: tar -tzf on the 1 GiB layer: ${fmt(ref.mbps)} MB/s`);
  }
}

function table(head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i >= 2 && i <= 7 && /^[\d.–]+$/.test(String(c)) ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join(' │ ');
  console.log(line(head));
  console.log(w.map((x) => '─'.repeat(x)).join('─┼─'));
  for (const r of rows) console.log(line(r));
}
