// The guest of the canonical ABI test (see wit/world.wit): every export hands
// its argument to the host import of the same shape and returns the answer.
import * as host from 'test:abi/host';

class Counter {
  constructor(start) {
    this.n = start;
  }
  inc() {
    this.n += 1;
    return this.n;
  }
  value() {
    return this.n;
  }
}

export const guest = {
  Counter,
  readCounter(c) {
    return c.value();
  },
  consumeCounter(c) {
    return c.value() * 2;
  },
  useToken(id) {
    const t = new host.Token(id);
    const seen = host.tokenId(t);
    if (t.id() !== seen) {
      throw new Error('token id mismatch');
    }
    return host.takeToken(t) + seen;
  },
  echoBool: (v) => host.echoBool(v),
  echoS8: (v) => host.echoS8(v),
  echoU8: (v) => host.echoU8(v),
  echoS16: (v) => host.echoS16(v),
  echoU16: (v) => host.echoU16(v),
  echoS32: (v) => host.echoS32(v),
  echoU32: (v) => host.echoU32(v),
  echoS64: (v) => host.echoS64(v),
  echoU64: (v) => host.echoU64(v),
  echoF32: (v) => host.echoF32(v),
  echoF64: (v) => host.echoF64(v),
  echoChar: (v) => host.echoChar(v),
  echoString: (v) => host.echoString(v),
  echoBytes: (v) => host.echoBytes(v),
  echoListU32: (v) => host.echoListU32(v),
  echoStrings: (v) => host.echoStrings(v),
  echoPoint: (v) => host.echoPoint(v),
  echoTuple: (v) => host.echoTuple(v),
  echoShape: (v) => host.echoShape(v),
  echoColor: (v) => host.echoColor(v),
  echoPerms: (v) => host.echoPerms(v),
  echoOption: (v) => host.echoOption(v),
  echoResult: (v) => host.echoResult(v),
  echoNested: (v) => host.echoNested(v),
  sumMany: (...args) => host.sumMany(...args),
};
