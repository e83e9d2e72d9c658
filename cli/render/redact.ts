// Client ids are shown the way aad-pod-identity and NMI log them: enough to recognise, not to
// copy (diagnosis output ends up pasted into tickets).
export function redactClientId(clientId: string | undefined): string | undefined {
  if (clientId === undefined || clientId === "") return undefined;
  if (clientId.length <= 8) return "##### REDACTED #####";
  return `${clientId.slice(0, 4)}##### REDACTED #####${clientId.slice(-4)}`;
}
