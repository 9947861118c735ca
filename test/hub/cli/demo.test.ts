import { runDemo } from '../../../hub/cli/demo';

jest.setTimeout(30_000);

describe('hub demo', () => {
  it('copies, partially closes, modifies and closes trades for a suffix slave and a mapped slave, and refuses one', async () => {
    const lines: string[] = [];
    const r = await runDemo({ stepMs: 10, out: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).toMatch(/COPY open Demo-Master#\d+ buy 1 EURUSD -> Demo-Suffix EURUSD\.c 1 lots/);
    expect(text).toMatch(/COPY open Demo-Master#\d+ buy 1 EURUSD -> Demo-Mapped EURUSDm 0\.5 lots/);
    expect(text).toMatch(/COPY open Demo-Master#\d+ sell 0\.3 XAUUSD -> Demo-Mapped GOLD 0\.15 lots/);
    expect(text).toMatch(/CLOSE master partially closed .* Demo-Suffix ticket \d+: close 0\.4 of 1 lots/);
    expect(text).toMatch(/MODIFY Demo-Master#\d+ -> Demo-Suffix ticket \d+: SL 1\.075 TP 1\.105/);
    expect(text).toMatch(/refused open Demo-Master#\d+ -> Demo-Suffix: price moved 40/);
    // A pending order copied, filled and closed.
    expect(text).toMatch(/PLACE place Demo-Master#\d+ buy limit 0\.4 EURUSD @ 1\.0838 -> Demo-Suffix: buy limit @ 1\.0838, EURUSD\.c 0\.4 lots/);
    expect(text).toMatch(/Demo-Mapped: order \d+ buy_limit 0\.2 EURUSDm @ 1\.0838/);
    expect(text).toMatch(/LINK Demo-Suffix order \d+ \(copy of Demo-Master order \d+\) filled before the master's: kept as its copy/);
    expect(text).toMatch(/LINK master Demo-Master order \d+ filled: Demo-Suffix ticket \d+ \(its copy, filled first\) now follows position #\d+/);
    expect(text).toMatch(/CLOSE master closed \(client\): Demo-Master#\d+ -> Demo-Suffix ticket \d+: close all 0\.4 of 0\.4 lots/);
    // The daily-loss guard: anchor, trip as the simulated equity falls, a refusal, closes still mirrored.
    expect(text).toMatch(/anchor \d+\.\d{2} USD, floor \d+\.\d{2} USD/);
    expect(text).toMatch(/TRIP protection Demo-Suffix: daily loss limit: equity \d+\.\d{2} \(balance \d+\.\d{2}\) at or below the floor \d+\.\d{2} = anchor .* less 200\.00; new copies blocked until the next reset/);
    expect(text).toMatch(/REFUSE open Demo-Master#\d+ sell 0\.1 XAUUSD -> Demo-Suffix: protection: daily loss limit/);
    expect(text).toMatch(/COPY open Demo-Master#\d+ sell 0\.1 XAUUSD -> Demo-Mapped GOLD 0\.05 lots/);
    expect(text).toMatch(/== done/);
    // Risk sizing from the master's stop, and a filtered symbol.
    expect(text).toMatch(/COPY open Demo-Master#\d+ buy 1 EURUSD -> Demo-Risk EURUSD 0\.35 lots \(exact, risk 0\.5% of 100000 = 500, \d+ per lot to the stop/);
    expect(text).toMatch(/Demo-Risk: 0\.35 lots; at the stop it loses \d+\.\d{2} USD of \d+\.\d{2} \(0\.\d+%\)/);
    expect(text).toMatch(/FILTER open Demo-Master#\d+ sell 0\.3 XAUUSD -> Demo-Risk: filtered: symbol XAUUSD is excluded by symbols_exclude XAU\*/);
    expect(r).toEqual({ trades: 18, refusals: 6 });
  });
});
