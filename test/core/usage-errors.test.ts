import { describe, expect, it } from 'vitest';
import { duckdbMessage, withChoiceSuggestion } from '../../src/core/errors.js';
import { addToMetricHint } from '../../src/core/options.js';

describe('usage errors name the fix', () => {
  it('a choice typo gets a did-you-mean; an unrelated word or another message does not', () => {
    const msg = "option '--method <method>' argument 'cupd' is invalid. Allowed choices are none, cuped, cupac.";
    expect(withChoiceSuggestion(msg)).toBe(`${msg} Did you mean "cuped"?`);
    const far = "option '--method <method>' argument 'bayes' is invalid. Allowed choices are none, cuped, cupac.";
    expect(withChoiceSuggestion(far)).toBe(far);
    expect(withChoiceSuggestion("unknown option '--x'")).toBe("unknown option '--x'");
  });

  it('--metric replaces the list: the hint gives the whole value, ratios stay in --ratio', () => {
    expect(addToMetricHint(['a', 'b', 'orders/sessions'], ['c'])).toBe('--metric replaces the analysed list; pass --metric a,b,c');
    expect(addToMetricHint(['a', 'b'], ['b', 'c'])).toBe('--metric replaces the analysed list; pass --metric a,b,c');
  });

  it("DuckDB's own suggestion is kept; the echoed SQL is not", () => {
    // messages as @duckdb/node-api 1.5 throws them
    expect(duckdbMessage(new Error('Catalog Error: Table with name userz does not exist!\nDid you mean "users"?\n\nLINE 1: select * from userz\n                      ^'))).toBe(
      'Catalog Error: Table with name userz does not exist! Did you mean "users"?',
    );
    expect(duckdbMessage(new Error('Binder Error: Referenced column "plnn" not found in FROM clause!\nCandidate bindings: "plan"\n\nLINE 1: ... __r WHERE plnn = 1'))).toBe(
      'Binder Error: Referenced column "plnn" not found in FROM clause! Candidate bindings: "plan"',
    );
    expect(duckdbMessage(new Error('Failed to extract statements: Parser Error: syntax error at or near "selec"'))).toBe('Parser Error: syntax error at or near "selec"');
  });
});
