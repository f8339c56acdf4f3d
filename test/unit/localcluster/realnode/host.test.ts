import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jumpIntoOurs, splitRule } from '../../../../localcluster/src/realnode/host.js';

describe('iptables rules of a stopped real node', () => {
  test('finds the jumps from built-in chains into KUBE-* and CNI-* chains, with the arguments to delete them', () => {
    assert.deepEqual(jumpIntoOurs('-A INPUT -j KUBE-FIREWALL'), ['INPUT', '-j', 'KUBE-FIREWALL']);
    assert.deepEqual(
      jumpIntoOurs('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
      ['OUTPUT', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'],
    );
    assert.deepEqual(jumpIntoOurs('-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT'), [
      'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT',
    ]); // prettier-ignore
  });

  test("leaves other rules alone: jumps to built-in targets, rules inside our chains, other programs' chains", () => {
    assert.equal(jumpIntoOurs('-A FORWARD -i lsobr0 ! -o lsobr0 -j DROP'), undefined);
    assert.equal(jumpIntoOurs('-A KUBE-SERVICES -d 198.19.0.1/32 -j KUBE-SVC-NPX46M4PTMTKRN6Y'), undefined);
    assert.equal(jumpIntoOurs('-A FORWARD -j DOCKER-USER'), undefined);
    assert.equal(jumpIntoOurs('-N KUBE-FIREWALL'), undefined);
  });

  test('splits rules keeping quoted comments whole', () => {
    assert.deepEqual(splitRule(' -m comment --comment "a \\"quoted\\" note" -j X'), [
      '-m',
      'comment',
      '--comment',
      'a "quoted" note',
      '-j',
      'X',
    ]);
  });
});
