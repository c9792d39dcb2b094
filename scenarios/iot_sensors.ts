import { defineTable, types } from '../src/core/schema.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';
import { defineScenario } from '../src/core/units.js';
import { paddedId } from '../sources/domain.js';
import { sensorSeries } from '../sources/sensor-series.js';

/**
 * IoT temperature sensors: the sensor-series generator with one signal named `value`.
 * Readings are time-ordered (every device at a step, then the next step), as a live feed lands.
 */
export const iotSensors = defineScenario({
  name: 'iot_sensors',
  summary: 'Sensor readings per device on a regular cadence: level + daily and yearly cycles + drift + noise',
  defaultRows: 100_000,
  eventTime: { column: 'timestamp', startOption: 'start' },
  examples: [
    'datagen generate iot_sensors --rows 100000 --seed 1 --out sensors.csv',
    'datagen pipe iot_sensors --rows 100000 | datagen csv > sensors.csv',
    'datagen generate iot_sensors --devices 50 --cadence 60 --start 2024-06-01 --daily-amplitude 5 --noise-sd 0.2 --out sensors_june.csv',
  ],
  schema: defineTable('iot_sensors', 'Temperature readings (°C) of devices on a fixed cadence', {
    device_id: { type: types.string(), pattern: 'DEV-\\d{4,}', description: 'device name, DEV-0001..', key: true },
    timestamp: { type: types.timestamp(), description: 'reading time (UTC): start + step x cadence, exactly', key: true },
    value: { type: types.float64(), description: 'reading, rounded to 3 decimals' },
  }),
  rules: [
    'rows are ordered by timestamp, then device number; each device reads at start + k x cadence seconds exactly, with no gaps',
    'value = device level + drift x days since start + daily cycle + yearly cycle + gaussian noise (noise-sd)',
    'daily cycle: hourly means swing by +/- daily-amplitude around the level, highest at daily-peak-hour (UTC)',
    'drift: each device trends by about drift-per-day (spread drift-sd between devices); levels differ by level-sd',
    'the value at a step never depends on earlier readings: row i depends only on seed, options and i',
  ],
  options: {
    devices: { type: 'integer', min: 1, default: 10, description: 'number of devices' },
    cadence: { type: 'number', min: 0.001, default: 600, description: 'seconds between two readings of a device' },
    start: { type: 'date', default: '2024-01-01', description: 'day of the first reading (00:00 UTC)' },
    level: { type: 'number', default: 21, description: 'mean level across devices' },
    levelSd: { type: 'number', min: 0, default: 1.5, description: 'spread of device levels' },
    dailyAmplitude: { type: 'number', default: 3, description: 'amplitude of the daily cycle' },
    dailyPeakHour: { type: 'number', min: 0, max: 24, default: 15, description: 'hour (UTC) of the daily maximum' },
    seasonalAmplitude: { type: 'number', default: 6, description: 'amplitude of the yearly cycle' },
    seasonalPeakDay: { type: 'integer', min: 1, max: 366, default: 200, description: 'day of year of the yearly maximum' },
    driftPerDay: { type: 'number', default: 0.01, description: 'mean linear drift per day' },
    driftSd: { type: 'number', min: 0, default: 0.005, description: 'spread of the drift between devices' },
    noiseSd: { type: 'number', min: 0, default: 0.4, description: 'sd of the measurement noise' },
  },
  plan({ devices, cadence, start, ...signal }, ctx) {
    // Every other option is a parameter of the one signal, under the same name.
    return sensorSeries(
      { devices, startMicros: start * MICROS_PER_DAY, cadenceSeconds: cadence, deviceId: paddedId('DEV-', 4), owner: 'iot_sensors', signals: { value: { ...signal, decimals: 3 } } },
      ctx,
    );
  },
});
