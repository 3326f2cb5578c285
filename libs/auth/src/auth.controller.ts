import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { CurrentUser } from './current-user.decorator';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { LoginResponseDto, RegisterResponseDto, UserResponseDto } from './dto/user-response.dto';
import { Public } from './public.decorator';
import type { AuthUser } from './auth-user';

@ApiTags('auth')
@Controller('auth')
@UseGuards(AuthThrottlerGuard)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account. The first account ever registered is an ADMIN. */
  @Public()
  @Post('register')
  async register(@Body() dto: RegisterDto): Promise<RegisterResponseDto> {
    return { user: UserResponseDto.from(await this.auth.register(dto)) };
  }

  /** Exchanges email and password for a bearer token (JWT). */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() dto: LoginDto): Promise<LoginResponseDto> {
    const { token, user } = await this.auth.login(dto);
    return { token, user: UserResponseDto.from(user) };
  }
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('user')
export class UserController {
  constructor(private readonly auth: AuthService) {}

  /** The authenticated caller. */
  @Get()
  async me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.auth.profile(user.id));
  }
}
