/** Every subcommand, in the order `--help` lists them. Each file exports a factory. */
import type { Command } from 'commander';
import type { App } from '../cli.js';
import { initCommand } from './init.js';
import { importCommand } from './import.js';
import { queryCommand } from './query.js';
import { statusCommand } from './status.js';
import { doctorCommand } from './doctor.js';
import { analyzeCommand } from './analyze.js';
import { powerCommand } from './power.js';
import { demoCommand } from './demo.js';
import { whatchangedCommand } from './whatchanged.js';
import { seedCommand } from './seed.js';
import { codemonkeyCommand } from './codemonkey.js';
import { forecastCommand } from './forecast.js';
import { ideasCommand } from './ideas.js';
import { jobsCommand } from './jobs.js';
import { profileCommand } from './profile.js';

export type CommandFactory = (app: App) => Command;

export const COMMANDS: CommandFactory[] = [
  demoCommand,
  seedCommand,
  analyzeCommand,
  powerCommand,
  forecastCommand,
  whatchangedCommand,
  ideasCommand,
  codemonkeyCommand,
  initCommand,
  importCommand,
  queryCommand,
  statusCommand,
  doctorCommand,
  profileCommand,
  jobsCommand,
];
