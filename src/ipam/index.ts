export * from "./address";
export * from "./subnet-pool";
export * from "./address-cursor";
