/**
 * commander, loaded through `require`. commander is CommonJS: importing it as ESM makes Node
 * initialise its CommonJS export lexer (a WebAssembly module) on every start, about a third of
 * the CPU time of `statsig-hack --help`. Commands import Command and Option from here.
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Argument, Command, CommanderError, Help, Option } = commander;
export type Argument = Commander.Argument;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type Help = Commander.Help;
export type Option = Commander.Option;
