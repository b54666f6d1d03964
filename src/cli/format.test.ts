import { describe, expect, it } from 'vitest';
import { ANSI, Painter, age, colourEnabled, renderFields, renderTable, shellWords } from './format.ts';

describe('renderTable', () => {
  it('aligns columns on the widest cell with no trailing spaces', () => {
    const text = renderTable(['NAME', 'PHASE', 'AGE'], [
      ['pi', 'SUCCEEDED', '5m'],
      ['bert-finetune', 'FAILED', '12s'],
    ]);
    expect(text).toBe(['NAME            PHASE       AGE', 'pi              SUCCEEDED   5m', 'bert-finetune   FAILED      12s', ''].join('\n'));
  });

  it('does not count colour codes as width', () => {
    const painter = new Painter(true);
    const text = renderTable(['PHASE', 'NAME'], [[painter.paint('FAILED', 'red'), 'x'], ['RUNNING', 'y']]);
    const [, first, second] = text.split('\n');
    expect(first).toBe(`${ANSI.red}FAILED${ANSI.reset}    x`);
    expect(second).toBe('RUNNING   y');
  });
});

describe('colourEnabled', () => {
  it('colours a terminal only, and obeys NO_COLOR, FORCE_COLOR and TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('leaves text alone when colour is off', () => {
    expect(new Painter(false).paint('FAILED', 'red')).toBe('FAILED');
  });
});

describe('small formats', () => {
  it('prints ages from timestamps', () => {
    const now = Date.parse('2026-11-28T10:05:00Z');
    expect(age('2026-11-28T10:00:00Z', now)).toBe('5m');
    expect(age(null, now)).toBe('<unknown>');
  });

  it('aligns describe fields', () => {
    expect(renderFields([['Name', 'pi'], ['Namespace', 'team-a']])).toBe('Name:       pi\nNamespace:  team-a\n');
  });

  it('quotes command words that a shell would split', () => {
    expect(shellWords(['mpirun', '-n', '2', 'python', '-c', "print('hi there')"])).toBe(`mpirun -n 2 python -c 'print('\\''hi there'\\'')'`);
  });
});
