export * from "./lib.js";
