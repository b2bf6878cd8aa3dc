// Every environment this project synthesizes. Adding one is one file plus one line here;
// each becomes its own stack (`sip-proxy-<name>`) with its own Terraform state.
import type { EnvironmentInput } from "../schema";
import { dev } from "./dev";
import { prod } from "./prod";
import { staging } from "./staging";

export const environments: readonly EnvironmentInput[] = [dev, staging, prod];
