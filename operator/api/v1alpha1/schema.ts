// The livestream-operator.io/v1alpha1 API: the single source of truth for the CRDs in crds/, the
// TypeScript types in ./types.ts and docs/api.md. Edit this file, then run `npm run generate`.
// Why integer kbps, which fields are immutable and how CPU fallback reads: docs/decisions/0004.

import type { ApiVersion, Kind, Schema } from '../dsl.js';
import { array, boolean, integer, number, object, oneOf, rule, string, stringMap } from '../dsl.js';

// ---- patterns shared by both kinds ----

const dnsSubdomain = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const dnsLabel = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const camelCaseReason = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

const objectName = (description: string) =>
  string(description, { minLength: 1, maxLength: 253, pattern: dnsSubdomain });

const accelerators = ['nvidia', 'amd', 'cpu'];
const accelerator = (description: string) => oneOf('Accelerator', accelerators, description);

/** metav1.Condition, as Kubernetes' own types declare it (kstatus reads these). */
const condition = object(
  'Condition',
  'One aspect of the current state, in the shape of metav1.Condition.',
  {
    type: string('Condition type in CamelCase, e.g. Ready.', {
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: oneOf('ConditionStatus', ['True', 'False', 'Unknown'], 'Whether the condition holds.'),
    observedGeneration: integer('The metadata.generation the condition was computed from.', {
      format: 'int64',
      minimum: 0,
    }),
    lastTransitionTime: string('When status last changed (not when the condition was last written).', {
      format: 'date-time',
    }),
    reason: string('Why, as one CamelCase word a program can match on.', {
      minLength: 1,
      maxLength: 1024,
      pattern: camelCaseReason,
    }),
    message: string('Why, for a person: what happened and what to do about it.', { maxLength: 32768 }),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

const conditions = (description: string) =>
  array(condition, description, {
    maxItems: 16,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

const observedGeneration = integer(
  'The metadata.generation the operator last acted on. While it differs from metadata.generation, the status describes an older spec (kstatus reads this as InProgress).',
  { format: 'int64', minimum: 0 },
);

// ============================== TranscodeProfile ==============================

const kbps = (what: string, min: number, max: number, extra = {}) =>
  integer(`${what} Integer kilobits per second (1000 bits/s), ${min} to ${max}.`, {
    minimum: min,
    maximum: max,
    ...extra,
  });

const evenPixels = (axis: 'width' | 'height', min: number, max: number) =>
  integer(
    `Output ${axis} in pixels, ${min} to ${max}, even (H.264/HEVC 4:2:0 video needs even sizes). Never larger than the profile's limits.max${axis === 'width' ? 'Width' : 'Height'}.`,
    {
      minimum: min,
      maximum: max,
      'x-kubernetes-validations': [
        rule('self % 2 == 0', `${axis} must be an even number of pixels (4:2:0 video needs even sizes)`),
      ],
    },
  );

const rendition = object(
  'Rendition',
  'One rung of the ladder: a video size and bitrate, with its audio bitrate. Each rendition becomes one HLS variant (and one DASH representation) named after it.',
  {
    name: string(
      'Unique name of the rendition, used in playlist and segment paths (e.g. 1080p). Lower-case letters, digits and dashes, at most 32 characters.',
      { minLength: 1, maxLength: 32, pattern: dnsLabel },
    ),
    width: evenPixels('width', 128, 7680),
    height: evenPixels('height', 96, 4320),
    videoBitrateKbps: kbps('Target video bitrate.', 100, 100000),
    videoMaxrateKbps: kbps(
      'Peak video bitrate the rate control may reach (ffmpeg -maxrate). At least videoBitrateKbps. When unset, equal to videoBitrateKbps (constrained, nearly constant bitrate, which suits live).',
      100,
      150000,
    ),
    videoBufsizeKbit: integer(
      'Rate-control buffer in kilobits (ffmpeg -bufsize); a larger buffer allows burstier bitrate. Must hold 0.5 to 10 seconds at the peak bitrate. When unset, two seconds at the peak bitrate (2 x videoMaxrateKbps).',
      { minimum: 50, maximum: 1500000 },
    ),
    maxFps: integer(
      'Frame-rate cap: a source above it is reduced to it (e.g. 30 for a 60 fps source). When unset, the source frame rate, up to the profile limits.maxFps.',
      { minimum: 1, maximum: 120 },
    ),
    audioBitrateKbps: kbps('AAC audio bitrate of this rendition.', 32, 512, { default: 128 }),
  },
  {
    required: ['name', 'width', 'height', 'videoBitrateKbps'],
    'x-kubernetes-validations': [
      {
        rule: '!has(self.videoMaxrateKbps) || self.videoMaxrateKbps >= self.videoBitrateKbps',
        message:
          'videoMaxrateKbps must be at least videoBitrateKbps: raise it, or leave it unset to use videoBitrateKbps',
        fieldPath: '.videoMaxrateKbps',
      },
      {
        rule: '!has(self.videoBufsizeKbit) || (self.videoBufsizeKbit * 2 >= (has(self.videoMaxrateKbps) ? self.videoMaxrateKbps : self.videoBitrateKbps) && self.videoBufsizeKbit <= 10 * (has(self.videoMaxrateKbps) ? self.videoMaxrateKbps : self.videoBitrateKbps))',
        message:
          'videoBufsizeKbit must hold 0.5 to 10 seconds at the peak bitrate: between half and ten times videoMaxrateKbps (videoBitrateKbps when no maxrate is set)',
        fieldPath: '.videoBufsizeKbit',
      },
    ],
  },
);

const video = object(
  'VideoSettings',
  'Video settings shared by every rendition.',
  {
    codec: oneOf(
      'VideoCodec',
      ['h264', 'hevc'],
      'Output codec: h264 (plays everywhere) or hevc (about 30% smaller at equal quality; Safari and hardware decoders).',
      { default: 'h264' },
    ),
    gopSeconds: integer(
      'Keyframe interval in whole seconds, 1 to 10. Every rendition gets a keyframe at the same instants, so players can switch renditions at segment boundaries. A LiveStream segment length should be a multiple of it; the operator reports a LiveStream whose output.segmentSeconds is not.',
      { minimum: 1, maximum: 10, default: 2 },
    ),
  },
  { default: {} },
);

const audio = object(
  'AudioSettings',
  'Audio settings shared by every rendition (each rendition sets its own bitrate).',
  {
    codec: oneOf('AudioCodec', ['aac'], 'Output audio codec. AAC-LC is what HLS and DASH players expect.', {
      default: 'aac',
    }),
    sampleRateHz: integer('Sample rate in hertz: 44100 or 48000.', {
      enum: [44100, 48000],
      default: 48000,
    }),
    channels: integer('Channel count: 1 (mono) or 2 (stereo); a source with more is downmixed.', {
      minimum: 1,
      maximum: 2,
      default: 2,
    }),
  },
  { default: {} },
);

const passthrough = object(
  'Passthrough',
  'An extra variant that carries the source video as published, without re-encoding (costs no encoder time; plays only if the source codec suits the players).',
  {
    enabled: boolean('Offer the source as an extra variant.', { default: false }),
    name: string('Variant name of the source; must differ from every rendition name.', {
      minLength: 1,
      maxLength: 32,
      pattern: dnsLabel,
      default: 'source',
    }),
  },
  { default: {} },
);

const cpuEncoder = object(
  'CpuEncoderSettings',
  'x264 (h264) or x265 (hevc) settings, used when the stream runs on CPU.',
  {
    preset: oneOf(
      'X26xPreset',
      ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'],
      'Speed/quality trade-off. Each step slower costs roughly 1.5-2x the CPU for a few percent less bitrate at equal quality; the operator sizes CPU requests from it.',
      { default: 'veryfast' },
    ),
    tune: oneOf(
      'X26xTune',
      ['none', 'zerolatency', 'film', 'animation', 'grain', 'stillimage', 'fastdecode'],
      'Content tuning. zerolatency removes frame look-ahead (lowest latency). film and stillimage exist for x264 only.',
      { default: 'zerolatency' },
    ),
  },
  { default: {} },
);

const nvidiaEncoder = object(
  'NvidiaEncoderSettings',
  'NVENC settings (h264_nvenc, hevc_nvenc), used when the stream runs on an NVIDIA GPU.',
  {
    preset: oneOf(
      'NvencPreset',
      ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'],
      'NVENC preset from p1 (fastest) to p7 (best quality).',
      { default: 'p4' },
    ),
    tune: oneOf(
      'NvencTune',
      ['hq', 'll', 'ull'],
      'NVENC tuning: hq (high quality), ll (low latency) or ull (ultra-low latency).',
      { default: 'll' },
    ),
  },
  { default: {} },
);

const amdEncoder = object(
  'AmdEncoderSettings',
  'AMD GPU settings, used when the stream runs on an AMD GPU.',
  {
    api: oneOf(
      'AmdEncoderApi',
      ['vaapi', 'amf'],
      "How ffmpeg reaches the GPU: vaapi (h264_vaapi/hevc_vaapi through Mesa and /dev/dri; what Debian's ffmpeg has) or amf (h264_amf/hevc_amf; needs a transcoder image whose ffmpeg is built with AMF and AMD's runtime).",
      { default: 'vaapi' },
    ),
    quality: oneOf(
      'AmdQuality',
      ['speed', 'balanced', 'quality'],
      'Speed/quality trade-off (AMF -quality; VAAPI compression level 7, 4, 1).',
      { default: 'balanced' },
    ),
  },
  { default: {} },
);

const encoders = object(
  'EncoderSettings',
  'Encoder settings per accelerator. The operator uses the block for the accelerator a stream lands on, so one profile serves NVIDIA, AMD and CPU streams alike.',
  { cpu: cpuEncoder, nvidia: nvidiaEncoder, amd: amdEncoder },
  { default: {} },
);

const limits = object(
  'ProfileLimits',
  'The largest output this profile allows. Every rendition must fit; lowering a limit is a guard against a ladder that would not fit the nodes it is meant for.',
  {
    maxWidth: integer('Widest rendition allowed, in pixels.', { minimum: 128, maximum: 7680, default: 3840 }),
    maxHeight: integer('Tallest rendition allowed, in pixels.', {
      minimum: 96,
      maximum: 4320,
      default: 2160,
    }),
    maxFps: integer('Highest output frame rate; a faster source is reduced to it.', {
      minimum: 1,
      maximum: 120,
      default: 60,
    }),
  },
  { default: {} },
);

const renditionOverLimit = 'r.width > self.limits.maxWidth || r.height > self.limits.maxHeight';

const transcodeProfileSpec = object(
  'TranscodeProfileSpec',
  'The ladder: what every LiveStream that uses this profile is transcoded into.',
  {
    video,
    audio,
    renditions: array(
      rendition,
      'The renditions, 1 to 8, unique by name. Players pick among them by bandwidth; order them from largest to smallest by convention.',
      {
        minItems: 1,
        maxItems: 8,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
    ),
    passthrough,
    encoders,
    limits,
  },
  {
    required: ['renditions'],
    'x-kubernetes-validations': [
      {
        rule: `self.renditions.all(r, !(${renditionOverLimit}))`,
        message:
          'every rendition must fit within limits.maxWidth x limits.maxHeight: make the larger renditions smaller or raise the limits',
        fieldPath: '.renditions',
      },
      {
        rule: 'self.renditions.all(r, !has(r.maxFps) || r.maxFps <= self.limits.maxFps)',
        message: 'a rendition maxFps is above limits.maxFps: lower it or raise the limit',
        fieldPath: '.renditions',
      },
      {
        rule: "self.video.codec != 'h264' || self.renditions.all(r, r.width <= 4096 && r.height <= 4096)",
        message:
          'h264 renditions may be at most 4096 pixels on a side (the limit of H.264 hardware encoders): make them smaller or use video.codec hevc',
        fieldPath: '.renditions',
      },
      {
        rule: '!self.passthrough.enabled || !self.renditions.exists(r, r.name == self.passthrough.name)',
        messageExpression:
          "'passthrough.name ' + self.passthrough.name + ' is also a rendition name; variant names must be unique'",
        fieldPath: '.passthrough.name',
      },
      {
        rule: "self.video.codec != 'hevc' || !(self.encoders.cpu.tune in ['film', 'stillimage'])",
        messageExpression:
          "'encoders.cpu.tune ' + self.encoders.cpu.tune + ' exists for x264 only; with video.codec hevc use none, zerolatency, animation, grain or fastdecode'",
        fieldPath: '.encoders.cpu.tune',
      },
    ],
  },
);

const quantity = (description: string) => string(description, { maxLength: 64 });

const resourceEstimate = object(
  'ResourceEstimate',
  'What one stream of this profile requests on one accelerator.',
  {
    cpu: quantity('CPU request of the transcoder pod, as a Kubernetes quantity (e.g. 3500m).'),
    memory: quantity('Memory request of the transcoder pod, as a Kubernetes quantity (e.g. 1Gi).'),
    gpus: integer('GPUs requested (nvidia.com/gpu or amd.com/gpu); 0 on CPU.', { minimum: 0, maximum: 64 }),
    encoderSessions: integer(
      'Concurrent hardware encoder sessions the stream opens (one per rendition); consumer NVIDIA cards cap these per GPU.',
      { minimum: 0, maximum: 64 },
    ),
  },
);

const transcodeProfileStatus = object(
  'TranscodeProfileStatus',
  'What the operator observed about the profile.',
  {
    observedGeneration,
    conditions: conditions(
      'Ready (the profile is valid and usable) and Stalled (it cannot be used; the reason says why).',
    ),
    liveStreamCount: integer('How many LiveStreams in this namespace use this profile.', { minimum: 0 }),
    resourcesPerStream: object(
      'StreamResources',
      'What one LiveStream of this profile requests on each accelerator, as the operator sizes it.',
      {
        nvidia: { ...resourceEstimate, description: 'Requests on an NVIDIA GPU node.' },
        amd: { ...resourceEstimate, description: 'Requests on an AMD GPU node.' },
        cpu: { ...resourceEstimate, description: 'Requests on a CPU-only node.' },
      },
    ),
  },
);

const readyColumns = [
  {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Whether the resource is ready.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
    description: 'Why it is (not) ready.',
  },
] as const;

const transcodeProfile: Kind = {
  kind: 'TranscodeProfile',
  plural: 'transcodeprofiles',
  singular: 'transcodeprofile',
  shortNames: ['tp', 'tprofile'],
  categories: ['streaming'],
  overview:
    'A TranscodeProfile is an adaptive-bitrate ladder: the renditions every LiveStream that points at it is transcoded into, with the codec, keyframe interval, audio settings and the encoder tuning for each accelerator. Many LiveStreams in its namespace can share one profile.',
  printerColumns: [
    ...readyColumns,
    { name: 'Codec', type: 'string', jsonPath: '.spec.video.codec', description: 'Output video codec.' },
    {
      name: 'GOP',
      type: 'integer',
      jsonPath: '.spec.video.gopSeconds',
      description: 'Keyframe interval in seconds.',
    },
    {
      name: 'Streams',
      type: 'integer',
      jsonPath: '.status.liveStreamCount',
      description: 'LiveStreams using this profile.',
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
  ],
  conditionTypes: {
    Ready: 'The profile is valid and LiveStreams can use it.',
    Stalled:
      'The profile cannot be used as written (for example an encoder setting no transcoder image supports); the reason says why.',
  },
  spec: transcodeProfileSpec,
  status: transcodeProfileStatus,
};

// ================================= LiveStream =================================

const serviceType = oneOf(
  'ServiceType',
  ['ClusterIP', 'NodePort', 'LoadBalancer'],
  'Kubernetes Service type: ClusterIP (inside the cluster only), NodePort or LoadBalancer (reachable from outside).',
  { default: 'ClusterIP' },
);

const serviceRules = [
  rule(
    "!has(self.loadBalancerClass) || self.type == 'LoadBalancer'",
    'loadBalancerClass needs type: LoadBalancer',
    {
      fieldPath: '.loadBalancerClass',
      reason: 'FieldValueForbidden',
    },
  ),
  rule(
    "!has(self.loadBalancerSourceRanges) || self.type == 'LoadBalancer'",
    'loadBalancerSourceRanges needs type: LoadBalancer',
    { fieldPath: '.loadBalancerSourceRanges', reason: 'FieldValueForbidden' },
  ),
  rule("!has(self.nodePort) || self.type != 'ClusterIP'", 'nodePort needs type: NodePort or LoadBalancer', {
    fieldPath: '.nodePort',
    reason: 'FieldValueForbidden',
  }),
  rule(
    "oldSelf.type != 'LoadBalancer' || self.type != 'LoadBalancer' || (has(self.loadBalancerClass) ? has(oldSelf.loadBalancerClass) && self.loadBalancerClass == oldSelf.loadBalancerClass : !has(oldSelf.loadBalancerClass))",
    'loadBalancerClass cannot change while the Service stays type LoadBalancer (Kubernetes refuses it on the Service); set type ClusterIP first, or recreate the LiveStream',
    { fieldPath: '.loadBalancerClass' },
  ),
];

const service = (tsType: string, what: string, portDoc: string, portDefault?: number) =>
  object(
    tsType,
    `The Service ${what}. The operator owns the Service; change it here, not on the Service.`,
    {
      type: serviceType,
      port: integer(`Service port. ${portDoc}`, {
        minimum: 1,
        maximum: 65535,
        ...(portDefault === undefined ? {} : { default: portDefault }),
      }),
      nodePort: integer(
        'Fixed node port (type NodePort or LoadBalancer), 30000 to 32767. When unset, Kubernetes picks one.',
        { minimum: 30000, maximum: 32767 },
      ),
      annotations: stringMap(
        'Annotations for the Service, e.g. for a cloud load balancer (at most 32).',
        32,
        4096,
      ),
      loadBalancerClass: string(
        'Load balancer implementation to use (type LoadBalancer). Cannot change while the type stays LoadBalancer.',
        { minLength: 1, maxLength: 253 },
      ),
      loadBalancerSourceRanges: array(
        string('A CIDR such as 203.0.113.0/24.', {
          maxLength: 43,
          'x-kubernetes-validations': [
            { rule: 'isCIDR(self)', messageExpression: "self + ' is not a CIDR such as 203.0.113.0/24'" },
          ],
        }),
        'Client address ranges the load balancer accepts (type LoadBalancer), at most 32. When unset, any.',
        { maxItems: 32, 'x-kubernetes-list-type': 'set' },
      ),
    },
    { default: {}, 'x-kubernetes-validations': serviceRules },
  );

const secretKeyReference = object(
  'SecretKeyReference',
  'A key in a Secret in the same namespace.',
  {
    name: objectName('Name of the Secret.'),
    key: string('Key inside the Secret.', {
      minLength: 1,
      maxLength: 253,
      pattern: '^[-._a-zA-Z0-9]+$',
      default: 'streamKey',
    }),
  },
  { required: ['name'] },
);

const ingest = object(
  'IngestSpec',
  'Where and how encoders (OBS, ffmpeg, hardware encoders) publish the stream.',
  {
    protocol: oneOf(
      'IngestProtocol',
      ['rtmp', 'rtmps'],
      'rtmp, or rtmps (RTMP over TLS; needs tls.secretName). Encoders publish to status.ingest.url with the stream key as the key.',
      { default: 'rtmp' },
    ),
    streamKeySecretRef: {
      ...secretKeyReference,
      description:
        'The Secret (in this namespace) that holds the stream key. When unset, the operator generates a random key into a Secret named <LiveStream name>-stream-key; status.ingest.streamKeySecretRef always names where the key is.',
    },
    tls: object(
      'IngestTls',
      'The certificate the ingest presents for rtmps. Required with protocol rtmps, not allowed with rtmp.',
      {
        secretName: objectName(
          'A kubernetes.io/tls Secret in this namespace (tls.crt and tls.key), e.g. one cert-manager issues.',
        ),
      },
      { required: ['secretName'] },
    ),
    service: service('IngestService', 'encoders publish to', 'When unset, 1935 for rtmp and 443 for rtmps.'),
  },
  { default: {} },
);

const toleration = object(
  'Toleration',
  'A pod toleration (core/v1 Toleration), passed to the transcoder pod as written.',
  {
    key: string('Taint key; empty with operator Exists matches every taint.', { maxLength: 317 }),
    operator: oneOf('TolerationOperator', ['Exists', 'Equal'], 'Exists or Equal.', { default: 'Equal' }),
    value: string('Taint value (operator Equal).', { maxLength: 63 }),
    effect: oneOf(
      'TaintEffect',
      ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
      'Taint effect to match; when unset, every effect.',
    ),
    tolerationSeconds: integer(
      'How long a NoExecute taint is tolerated before eviction; unset means forever.',
      {
        format: 'int64',
      },
    ),
  },
  {
    'x-kubernetes-validations': [
      rule(
        "has(self.key) && self.key != '' || self.operator == 'Exists'",
        'a toleration without key needs operator: Exists',
        {
          fieldPath: '.key',
          reason: 'FieldValueRequired',
        },
      ),
      rule(
        "self.operator != 'Exists' || !has(self.value) || self.value == ''",
        'value must be empty with operator: Exists',
        {
          fieldPath: '.value',
          reason: 'FieldValueForbidden',
        },
      ),
      rule(
        "!has(self.tolerationSeconds) || has(self.effect) && self.effect == 'NoExecute'",
        'tolerationSeconds needs effect: NoExecute',
        { fieldPath: '.tolerationSeconds', reason: 'FieldValueForbidden' },
      ),
    ],
  },
);

const placement = object(
  'PlacementSpec',
  "Where the transcoder runs. The operator tries the accelerators in order and takes the first with a node that can encode the profile's codec and has capacity left.",
  {
    acceleratorPreference: array(
      accelerator('nvidia (NVENC), amd (VAAPI/AMF) or cpu (x264/x265).'),
      'Accelerators in order of preference, each at most once. A GPU kind counts only on nodes that can encode (an H100 has no NVENC).',
      {
        minItems: 1,
        maxItems: 3,
        'x-kubernetes-list-type': 'set',
        default: ['nvidia', 'amd', 'cpu'],
      },
    ),
    allowCpuFallback: boolean(
      'Run on CPU when no listed GPU is available, even if cpu is not in acceleratorPreference (the AcceleratorFallback condition says so). With false, a stream that finds no listed accelerator waits with Stalled=True and a reason that says what is missing. false contradicts a list that names cpu after a GPU, and is refused there.',
      { default: true },
    ),
    releaseGpuWhenIdle: boolean(
      'Free the GPU while nobody publishes: the transcoder stops idleSeconds after the publisher leaves and starts again when one arrives (a few seconds of extra start-up, and the GPU may be taken by then). false keeps the GPU reserved for the stream.',
      { default: false },
    ),
    idleSeconds: integer('How long nobody publishes before releaseGpuWhenIdle frees the GPU, 30 to 86400.', {
      minimum: 30,
      maximum: 86400,
      default: 300,
    }),
    nodeSelector: stringMap(
      'Node labels the transcoder pod also requires, on top of those the accelerator needs (at most 16).',
      16,
      63,
    ),
    tolerations: array(
      toleration,
      'Tolerations for the transcoder pod, on top of the usual GPU taint tolerations the operator adds (at most 16).',
      { maxItems: 16 },
    ),
    runtimeClassName: string(
      'RuntimeClass for GPU transcoder pods (e.g. nvidia when the NVIDIA container runtime is not the default). Not used on CPU.',
      { minLength: 1, maxLength: 253, pattern: dnsSubdomain },
    ),
  },
  { default: {} },
);

const output = object(
  'OutputSpec',
  'What viewers play: HLS and/or DASH from the transcoder, behind the playback Service.',
  {
    segmentSeconds: integer(
      "Segment length in whole seconds, 1 to 10. Latency is about three segments. Should be a multiple of the profile's video.gopSeconds (the operator reports it otherwise, since the API server cannot compare two objects).",
      { minimum: 1, maximum: 10, default: 2 },
    ),
    playlistSize: integer('Segments listed in the live playlist (the live window), 3 to 30.', {
      minimum: 3,
      maximum: 30,
      default: 6,
    }),
    hls: object(
      'HlsOutput',
      'HLS (fMP4 segments, master playlist master.m3u8).',
      { enabled: boolean('Serve HLS.', { default: true }) },
      { default: {} },
    ),
    dash: object(
      'DashOutput',
      'MPEG-DASH (manifest manifest.mpd), sharing the segments with HLS.',
      { enabled: boolean('Serve DASH.', { default: false }) },
      { default: {} },
    ),
    service: service('PlaybackService', 'viewers and CDNs fetch HLS/DASH from', 'Default 80.', 80),
  },
  { default: {} },
);

// Rules on groups that have a `default: {}` sit on the spec: the API server checks a default
// against its own rules without the nested defaults, so a rule there could not read them.
const cpuAfterFirst =
  "self.placement.acceleratorPreference.exists(a, a == 'cpu') && self.placement.acceleratorPreference[0] != 'cpu'";

const liveStreamSpecRules = [
  rule(
    "self.ingest.protocol != 'rtmps' || has(self.ingest.tls)",
    'protocol rtmps needs tls.secretName: a kubernetes.io/tls Secret with the ingest certificate',
    { fieldPath: '.ingest.tls', reason: 'FieldValueRequired' },
  ),
  rule(
    "self.ingest.protocol == 'rtmps' || !has(self.ingest.tls)",
    'tls is used only with protocol rtmps: set protocol: rtmps or remove tls',
    { fieldPath: '.ingest.tls', reason: 'FieldValueForbidden' },
  ),
  {
    rule: `self.placement.allowCpuFallback || !(${cpuAfterFirst})`,
    messageExpression:
      "'allowCpuFallback is false but acceleratorPreference [' + self.placement.acceleratorPreference.join(', ') + '] falls back to cpu: remove cpu from the list to stay on GPUs, or set allowCpuFallback: true'",
    fieldPath: '.placement.allowCpuFallback',
  },
  rule(
    "!self.placement.releaseGpuWhenIdle || self.placement.acceleratorPreference != ['cpu']",
    'releaseGpuWhenIdle has no effect with acceleratorPreference [cpu]: remove it, or add a GPU to the list',
    { fieldPath: '.placement.releaseGpuWhenIdle', reason: 'FieldValueForbidden' },
  ),
  rule(
    'self.output.hls.enabled || self.output.dash.enabled',
    'at least one output must be enabled: set hls.enabled or dash.enabled to true',
    { fieldPath: '.output.hls.enabled' },
  ),
];

const liveStreamSpec = object(
  'LiveStreamSpec',
  'The stream: which ladder, how encoders publish, where it is transcoded and how it is served.',
  {
    profileRef: object(
      'ProfileReference',
      'The TranscodeProfile (in this namespace) the stream is transcoded with. May change: the transcoder restarts with the new ladder.',
      { name: objectName('Name of the TranscodeProfile.') },
      { required: ['name'] },
    ),
    suspend: boolean(
      'Stop the ingest and the transcoder (no publishing, no playback) while keeping the Services, their addresses and the stream key.',
      { default: false },
    ),
    ingest,
    placement,
    output,
  },
  { required: ['profileRef'], 'x-kubernetes-validations': liveStreamSpecRules },
);

const url = (description: string) => string(description, { maxLength: 2048 });

const renditionLive = object(
  'RenditionLiveStatus',
  'Live state of one rendition.',
  {
    name: string('Rendition name.', { maxLength: 32 }),
    state: oneOf(
      'RenditionState',
      ['Pending', 'Encoding', 'Stalled'],
      'Pending (not started), Encoding (segments are coming) or Stalled (no new segment for two segment lengths).',
    ),
    bitrateKbps: integer('Measured output bitrate.', { minimum: 0 }),
    fps: number('Measured output frame rate.', { minimum: 0 }),
    segmentAgeSeconds: number('Age of the newest segment.', { minimum: 0 }),
  },
  { required: ['name', 'state'] },
);

const liveStreamStatus = object(
  'LiveStreamStatus',
  'What the operator observed. Never contains the stream key.',
  {
    observedGeneration,
    conditions: conditions(
      'Ready, Reconciling and Stalled (kstatus), and IngestReady, TranscoderReady, Live (an encoder is publishing and segments are coming), AcceleratorFallback (running on other than the first preferred accelerator).',
    ),
    ingest: object('LiveStreamIngestStatus', 'Where encoders publish.', {
      state: oneOf(
        'IngestState',
        ['Pending', 'Waiting', 'Publishing', 'Suspended'],
        'Pending (ingest not ready yet), Waiting (ready, nobody publishing), Publishing, or Suspended.',
      ),
      url: url(
        'URL for the encoder (OBS "Server"), e.g. rtmp://203.0.113.7:1935/live. The stream key goes into the encoder\'s key field; it never appears here.',
      ),
      streamKeySecretRef: {
        ...secretKeyReference,
        description: 'The Secret and key that hold the stream key (never the key itself).',
      },
    }),
    playback: object('PlaybackStatus', 'Where viewers play the stream.', {
      hlsUrl: url('HLS master playlist URL.'),
      dashUrl: url('DASH manifest URL.'),
      previewUrl: url('A browser page that plays the stream (hls.js).'),
    }),
    placement: object('PlacementStatus', 'Where the transcoder runs and why.', {
      accelerator: accelerator('The accelerator in use.'),
      encoder: string('The ffmpeg encoder in use, e.g. h264_nvenc or libx264.', { maxLength: 64 }),
      node: string('The node the transcoder pod runs on.', { maxLength: 253 }),
      gpuProduct: string('The GPU model, from node labels (e.g. NVIDIA-L4).', { maxLength: 253 }),
      reason: string('Why here, as one CamelCase word (e.g. Preferred, FellBackToCpu).', {
        maxLength: 1024,
        pattern: camelCaseReason,
      }),
      message: string('Why here, for a person: which preferred accelerators were passed over and why.', {
        maxLength: 4096,
      }),
    }),
    live: object(
      'LiveFigures',
      'Figures from the running stream, refreshed every few seconds while publishing.',
      {
        observedAt: string('When these figures were read.', { format: 'date-time' }),
        publishingSince: string('When the current publisher connected.', { format: 'date-time' }),
        codec: string('Source video codec as published, e.g. h264.', { maxLength: 32 }),
        resolution: string('Source resolution as published, e.g. 1920x1080.', { maxLength: 16 }),
        fps: number('Source frame rate as measured.', { minimum: 0 }),
        bitrateKbps: integer('Source bitrate as measured (video and audio).', { minimum: 0 }),
        keyframeIntervalSeconds: number('Source keyframe interval as measured.', { minimum: 0 }),
        transcoderSpeed: number(
          'Transcoder speed relative to real time; below 1.0 the transcoder falls behind.',
          { minimum: 0 },
        ),
        renditions: array(renditionLive, 'Per-rendition state.', {
          maxItems: 9,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      },
    ),
  },
);

/** Children are named <name>-<suffix> with suffixes of up to 11 characters (-transcoder, -stream-key). */
const liveStreamName: Schema = string(
  'A DNS-1035 label of at most 52 characters: the operator names Services <name>-ingest and <name>-playback, and Services allow 63.',
  {
    maxLength: 52,
    'x-kubernetes-validations': [
      rule(
        "self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
        'a LiveStream name must start with a letter and hold only lower-case letters, digits and dashes (it becomes part of Service names)',
      ),
    ],
  },
);

const liveStream: Kind = {
  kind: 'LiveStream',
  plural: 'livestreams',
  singular: 'livestream',
  shortNames: ['ls', 'lstream'],
  categories: ['streaming'],
  overview:
    'A LiveStream is one live channel: an RTMP(S) ingest that encoders publish to, a transcoder that turns it into the ladder of its TranscodeProfile on an NVIDIA, AMD or CPU node, and a playback Service that serves HLS and DASH. Its status says where encoders publish, where viewers play, where it runs and how it is doing.',
  printerColumns: [
    ...readyColumns,
    {
      name: 'Accelerator',
      type: 'string',
      jsonPath: '.status.placement.accelerator',
      description: 'Accelerator the transcoder runs on.',
    },
    {
      name: 'Ingest',
      type: 'string',
      jsonPath: '.status.ingest.state',
      description: 'Pending, Waiting, Publishing or Suspended.',
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
    {
      name: 'Profile',
      type: 'string',
      jsonPath: '.spec.profileRef.name',
      description: 'TranscodeProfile.',
      priority: 1,
    },
    {
      name: 'Ingest URL',
      type: 'string',
      jsonPath: '.status.ingest.url',
      description: 'Where encoders publish.',
      priority: 1,
    },
    {
      name: 'Playback URL',
      type: 'string',
      jsonPath: '.status.playback.hlsUrl',
      description: 'HLS master playlist.',
      priority: 1,
    },
  ],
  conditionTypes: {
    Ready:
      'The stream is set up as specified: ingest and transcoder are running and playback is served (True even while nobody publishes; see Live).',
    Reconciling: 'The operator is still bringing the stream to its spec (kstatus InProgress).',
    Stalled:
      'The operator cannot make progress without a change from you (kstatus Failed); the reason and message say what is missing.',
    IngestReady: 'The ingest pod accepts publishers at status.ingest.url.',
    TranscoderReady: 'The transcoder pod is placed and running.',
    Live: 'An encoder is publishing and segments are being produced.',
    AcceleratorFallback:
      'The transcoder runs on an accelerator other than the first in placement.acceleratorPreference; the reason says why.',
  },
  spec: liveStreamSpec,
  status: liveStreamStatus,
  name: liveStreamName,
};

export const v1alpha1: ApiVersion = {
  group: 'livestream-operator.io',
  version: 'v1alpha1',
  kinds: [liveStream, transcodeProfile],
};
