import { defineTable, types } from '../src/core/schema.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';
import { defineScenario } from '../src/core/units.js';
import { SPARK_LOG_LEVELS, sparkAppLog } from '../sources/spark-app-log.js';

/**
 * Spark driver + executor logs (log4j lines) of batch applications on YARN, one row per line:
 * the spark-app-log generator (sources/spark-app-log.ts: the job/stage/task model, the level
 * mix and the arithmetic row addressing) with its options named as on the CLI.
 */
export const sparkLogs = defineScenario({
  name: 'spark_logs',
  summary: 'Spark application logs (driver + executor log4j lines): jobs, stages, tasks, shuffles, failures and retries',
  description:
    'One row per log line of YARN batch applications, ordered by application then time: a SparkContext preamble, then jobs made of ' +
    'ShuffleMapStages and a ResultStage whose tasks start, read input or shuffle blocks, warn, fail (ERROR + Lost task WARN, retried as attempt 1) ' +
    'and finish on executors. Levels are about 90% INFO, 7% WARN, 3% ERROR. Write it with the log sink (--out app.log) for raw log4j text.',
  defaultRows: 100_000,
  examples: [
    'datagen generate spark_logs --rows 500000 --out logs/app.log',
    'datagen generate spark_logs --rows 100000 --apps 4 --seed 7 --out data/spark_logs.csv',
    'datagen pipe spark_logs --rows 10000 --executors 16 | datagen log > driver.log',
    'datagen pipe spark_logs --rows 50000 --start 2024-06-01 | datagen csv > spark_logs.csv',
  ],
  schema: defineTable('spark_logs', 'Spark driver and executor log lines', {
    ts: { type: types.timestamp(), description: 'time of the log line (UTC, microseconds); strictly increasing through the table', key: true },
    app_id: { type: types.string(), pattern: 'application_-?\\d+_\\d{4,}', description: 'YARN application id, application_<cluster start ms>_<0001..>', key: true },
    job_id: { type: types.int32(), min: 0, nullable: true, description: 'Spark job number within the application (0, 1, ...); null on the application preamble' },
    stage_id: { type: types.int32(), min: 0, nullable: true, description: 'stage the line is about (numbered through the application); null on job-level and preamble lines' },
    task_id: { type: types.int32(), min: 0, nullable: true, description: "Spark TID of the task attempt the line is about (unique within the application, in launch order); null otherwise" },
    level: { type: types.string(), description: 'log4j level', values: SPARK_LOG_LEVELS },
    message: { type: types.string(), description: 'logger short name and message, as log4j prints them after the level' },
  }),
  rules: [
    'rows are ordered by application, then time: ts strictly increases from each row to the next (so within every job)',
    'every application starts with a preamble of 12 + 2 x executors lines (job_id, stage_id, task_id null), then jobs 0, 1, 2, ... follow each other',
    'a job is Got job / Final stage / Parents / Missing parents, then each stage (ShuffleMapStages, then the ResultStage), then Job is finished / Killing all running tasks / Job finished',
    'hierarchy: each (app_id, stage_id) belongs to one job and each (app_id, task_id) to one stage of that job; messages name the same stage and TID as the columns',
    'each task attempt has a Starting task line followed by an executor line (FileScanRDD input read on the first stage, ShuffleBlockFetcherIterator shuffle read on later stages) and one outcome',
    'Finished task lines say "in <ms> ms", the time between their Starting task line and themselves, and count successes (k/tasks)',
    'a failed attempt is an ERROR line (Executor: Exception in task, or YarnScheduler: Lost executor) followed by a WARN "Lost task" line with the same TID; the task is then started again as attempt 1 on another executor and finishes',
    'levels: about 90% INFO, 7% WARN, 3% ERROR; every ERROR line is a task failure (task_id not null)',
  ],
  options: {
    apps: { type: 'integer', min: 1, description: 'number of applications the rows are spread over (default: one per 1,000,000 rows)' },
    start: { type: 'date', description: 'day the first application starts (YYYY-MM-DD, UTC)', default: '2024-03-01' },
    executors: { type: 'integer', min: 1, max: 512, description: 'executors per application', default: 8 },
    executorCores: { type: 'integer', min: 1, max: 64, description: 'task slots (cores) per executor', default: 4 },
  },

  plan(o, ctx) {
    // Options are checked by their declarations above; the generator checks its parameters again.
    return sparkAppLog(
      { apps: o.apps, startMicros: o.start * MICROS_PER_DAY, executors: o.executors, executorCores: o.executorCores, owner: 'spark_logs' },
      ctx,
    );
  },
});
