// Where the API server and credentials come from: --kubeconfig, else client-node's defaults
// ($KUBECONFIG, the in-cluster service account, ~/.kube/config).
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
