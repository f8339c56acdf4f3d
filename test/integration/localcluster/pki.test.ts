import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createPki,
  issueClientCertificate,
  nodeIdentity,
  type ClusterPki,
} from '../../../localcluster/src/pki.js';

describe('createPki (openssl)', () => {
  let dir: string;
  let pki: ClusterPki;
  const cert = async (file: string) => new X509Certificate(await readFile(file));

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'livestream-pki-test-'));
    pki = await createPki(dir, { serverIPs: ['127.0.0.1', '198.19.0.1'] });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('the API server certificate is signed by the CA and valid for 127.0.0.1, the service IP and kubernetes.default', async () => {
    const ca = await cert(pki.ca.cert);
    const server = await cert(pki.apiserver.cert);
    assert.ok(ca.ca);
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.checkIP('198.19.0.1'), '198.19.0.1');
    assert.equal(server.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
    assert.equal(server.ca, false);
  });

  test('client certificates carry the user and groups RBAC expects', async () => {
    const admin = await cert(pki.admin.cert);
    assert.match(admin.subject, /O=system:masters/);
    assert.match(admin.subject, /CN=livestream-admin/);
    assert.match((await cert(pki.controllerManager.cert)).subject, /CN=system:kube-controller-manager/);
    assert.match((await cert(pki.scheduler.cert)).subject, /CN=system:kube-scheduler/);
    assert.ok((await cert(pki.kwok.cert)).checkIssued(await cert(pki.ca.cert)));
  });

  test('a real node gets a system:node:<name> certificate from the same CA', async () => {
    const pair = await issueClientCertificate(pki, nodeIdentity('worker-0'), dir, 'kubelet-worker-0');
    const node = await cert(pair.cert);
    assert.match(node.subject, /O=system:nodes/);
    assert.match(node.subject, /CN=system:node:worker-0/);
    assert.ok(node.checkIssued(await cert(pki.ca.cert)));
    assert.match(await readFile(pair.key, 'utf8'), /PRIVATE KEY/);
  });

  test('the service-account key pair is PEM', async () => {
    assert.match(await readFile(pki.serviceAccountKey, 'utf8'), /BEGIN PRIVATE KEY/);
    assert.match(await readFile(pki.serviceAccountPub, 'utf8'), /BEGIN PUBLIC KEY/);
  });
});
