import t from 'tap';
import { compareDecimalText, epochSecondsText, nanosText } from '../../../src/ship/encoders/time-text.js';

t.test('nanoseconds as decimal text, exact beyond 2^53', async (t) => {
  t.equal(nanosText(1795640400123), '1795640400123000000');
  t.equal(nanosText(1795640400123.5), '1795640400123500000');
  t.equal(nanosText(1795640400123.25), '1795640400123250000');
  t.equal(nanosText(1795640400123.9999999), '1795640400124000000', 'rounding carries into the millisecond');
  t.equal(nanosText(0), '0');
  t.equal(BigInt(nanosText(1795640400123)), 1795640400123n * 1_000_000n);
});

t.test('decimal order', async (t) => {
  t.ok(compareDecimalText('9', '10') < 0);
  t.ok(compareDecimalText('1795640400123000096', '1795640400123000100') < 0);
  t.equal(compareDecimalText('5', '5'), 0);
});

t.test('epoch seconds with milliseconds', async (t) => {
  t.equal(epochSecondsText(1795640400123), '1795640400.123');
  t.equal(epochSecondsText(1795640400007), '1795640400.007');
  t.equal(epochSecondsText(1795640400070), '1795640400.070');
  t.equal(epochSecondsText(1795640400000.9), '1795640400.000');
});
