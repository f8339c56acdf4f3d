// A FIXTURE, not a GPU: the test machines have no GPU, so this small HTTP server stands in for NVIDIA's
// dcgm-exporter and serves series shaped like the ones dcgm-exporter serves in its Kubernetes mode
// (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_ENC_UTIL, DCGM_FI_DEV_DEC_UTIL, DCGM_FI_DEV_FB_USED with gpu, UUID,
// device, modelName, Hostname and the namespace/pod/container of the pod that holds the GPU). It lets
// the dashboard's GPU panels prove their join on namespace and pod; the figures themselves are made up.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GpuHolder {
  namespace: string;
  pod: string;
  container: string;
}

export interface DcgmFixture {
  url: string;
  close(): Promise<void>;
}

export async function startDcgmFixture(holder: GpuHolder): Promise<DcgmFixture> {
  const started = Date.now();
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const t = (Date.now() - started) / 1000;
    const labels =
      `gpu="0",UUID="GPU-5f3e2a1c-0000-4000-8000-000000000001",device="nvidia0",modelName="NVIDIA L4",` +
      `Hostname="nvidia-l4-0",DCGM_FI_DRIVER_VERSION="550.90.07",` +
      `container="${holder.container}",namespace="${holder.namespace}",pod="${holder.pod}"`;
    const idle =
      'gpu="1",UUID="GPU-5f3e2a1c-0000-4000-8000-000000000002",device="nvidia1",modelName="NVIDIA L4",Hostname="nvidia-l4-0",DCGM_FI_DRIVER_VERSION="550.90.07"';
    const gauge = (name: string, help: string, value: number): string =>
      `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}{${labels}} ${value}\n${name}{${idle}} 0\n`;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      gauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', Math.round(35 + 10 * Math.sin(t))) +
        gauge('DCGM_FI_DEV_ENC_UTIL', 'Encoder utilization (in %).', Math.round(48 + 5 * Math.sin(t))) +
        gauge('DCGM_FI_DEV_DEC_UTIL', 'Decoder utilization (in %).', 12) +
        gauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', 1843),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
