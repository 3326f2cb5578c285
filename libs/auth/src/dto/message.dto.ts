export class MessageDto {
  /** @example "Group deleted" */
  message!: string;
}
