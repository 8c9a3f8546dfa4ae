export * from "./address";
export * from "./subnet-pool";
