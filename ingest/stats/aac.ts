// AAC AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): object type, sample rate and channels.

export interface AacConfig {
  profile: string;
  sampleRateHz: number;
  channels: number;
}

const sampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const objectTypes: Record<number, string> = {
  1: 'Main',
  2: 'LC',
  3: 'SSR',
  4: 'LTP',
  5: 'HE-AAC',
  29: 'HE-AACv2',
};

export function parseAudioSpecificConfig(config: Buffer): AacConfig {
  if (config.length < 2) throw new RangeError('AudioSpecificConfig is shorter than 2 bytes');
  let bitPos = 0;
  const read = (n: number): number => {
    let value = 0;
    for (let i = 0; i < n; i++, bitPos++) {
      const byte = config[bitPos >> 3];
      if (byte === undefined) throw new RangeError('AudioSpecificConfig is truncated');
      value = value * 2 + ((byte >> (7 - (bitPos & 7))) & 1);
    }
    return value;
  };
  let objectType = read(5);
  if (objectType === 31) objectType = 32 + read(6);
  const frequencyIndex = read(4);
  const sampleRateHz = frequencyIndex === 15 ? read(24) : sampleRates[frequencyIndex];
  if (sampleRateHz === undefined)
    throw new RangeError(`sampling frequency index ${frequencyIndex} is reserved`);
  const channelConfig = read(4);
  return {
    profile: objectTypes[objectType] ?? `object type ${objectType}`,
    sampleRateHz,
    channels: channelConfig === 7 ? 8 : channelConfig,
  };
}
